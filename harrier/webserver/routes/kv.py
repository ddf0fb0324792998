"""``/api/v1/namespaces/{namespace}/kv``: the KV store, in the shape of Kestra's KVController.

Reads come from the webserver's table of the `kv` topic after a read barrier, writes are
records on it acknowledged before the answer (harrier/kv). A PUT's body is the value as
JSON (`"text"`, `42`, `true`, `{"a": 1}`), or an unquoted ISO-8601 date or datetime; its
type follows from it, and a JSON string that is an ISO-8601 duration is a DURATION, as
Kestra reads it back. Headers `ttl` (ISO-8601 duration) and `description` go with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import orjson
from fastapi import APIRouter, Body, Depends, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from harrier.core.durations import parse_duration
from harrier.core.kv import (
    KVEntry,
    KVError,
    KVType,
    KVUnavailable,
    check_key,
    new_entry,
    parent_namespaces,
    typed_value,
    visible_entries,
)
from harrier.webserver.exceptions import NotFound, Unavailable, Unprocessable
from harrier.webserver.kestra import utc
from harrier.webserver.schemas import ErrorBody
from harrier.webserver.services import Services, services

__all__ = ["router"]

router = APIRouter(prefix="/namespaces/{namespace}/kv", tags=["kv"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "Invalid key, value or ttl"},
    503: {"model": ErrorBody, "description": "Kafka did not answer"},
}
_NAMESPACE = Path(description="The namespace")
_KEY = Path(description="The key")


class KVEntryBody(BaseModel):
    """One key of a namespace (Kestra's KVEntry)."""

    key: str
    description: str | None = None
    creation_date: str = Field(alias="creationDate")
    update_date: str = Field(alias="updateDate")
    expiration_date: str | None = Field(None, alias="expirationDate")


class KVForNamespaceBody(BaseModel):
    """The keys of one namespace of an inheritance list."""

    model_config = ConfigDict(populate_by_name=True)

    namespace: str
    kv_entries: list[KVEntryBody] = Field(alias="kvEntries")


class TypedValueBody(BaseModel):
    """A key's value and its type."""

    type: KVType
    value: Any = None


class DeleteKeysBody(BaseModel):
    """Keys to delete, or the keys deleted."""

    keys: list[str] = Field(default_factory=list)


@router.get("", response_model=list[KVEntryBody], responses=_ERRORS)
async def list_keys(namespace: str = _NAMESPACE, svc: Services = Depends(services)) -> list[dict[str, Any]]:
    """The live keys of the namespace, in key order."""
    entries = await _call(svc.kv.entries, namespace)
    return [_entry_body(e) for e in visible_entries(entries, _now())]


@router.get("/inheritance", response_model=list[KVForNamespaceBody], responses=_ERRORS)
async def list_keys_with_inheritance(namespace: str = _NAMESPACE, svc: Services = Depends(services)) -> list[dict[str, Any]]:
    """The live keys of the namespace and of each parent, nearest first (what `kv()` sees)."""
    now = _now()
    found = []
    for where in parent_namespaces(namespace):
        entries = await _call(svc.kv.entries, where)
        found.append({"namespace": where, "kvEntries": [_entry_body(e) for e in visible_entries(entries, now)]})
    return found


@router.get("/{key}", response_model=TypedValueBody, responses={404: {"model": ErrorBody, "description": "No such key"}, **_ERRORS})
async def get_value(namespace: str = _NAMESPACE, key: str = _KEY, svc: Services = Depends(services)) -> dict[str, Any]:
    """The key's type and value; 404 when it is missing or expired."""
    entry = await _call(svc.kv.get, namespace, _key(key))
    if entry is None or entry.expired(_now()):
        raise NotFound(f"No value found for key '{key}' in namespace '{namespace}'")
    return {"type": entry.type.value, "value": entry.value}


@router.put(
    "/{key}", status_code=200, response_model=None, responses=_ERRORS,
    openapi_extra={"requestBody": {"required": True, "description": "The value, as JSON (or an unquoted ISO-8601 date or datetime)", "content": {
        "application/json": {"schema": {}}, "text/plain": {"schema": {"type": "string"}},
    }}},
)
async def set_value(
    request: Request,
    namespace: str = _NAMESPACE,
    key: str = _KEY,
    ttl: str | None = Header(None, description="Time to live, ISO-8601 (PT1H)"),
    description: str | None = Header(None, description="What the value is"),
    svc: Services = Depends(services),
) -> None:
    """Store the value under the key (replacing any), typed from the body."""
    key = _key(key)
    value, kv_type = _parse_body(await request.body())
    lifetime = _ttl(ttl)

    def write() -> None:
        now = _now()
        previous = svc.kv.get(namespace, key)
        svc.kv.put(new_entry(namespace, key, value, kv_type=kv_type, ttl=lifetime, description=description, previous=previous, now=now))

    await _call(write)


@router.delete("/{key}", response_model=bool, responses=_ERRORS)
async def delete_value(namespace: str = _NAMESPACE, key: str = _KEY, svc: Services = Depends(services)) -> bool:
    """Delete the key; true when it held a value."""
    deleted: bool = await _call(_delete, svc, namespace, _key(key))
    return deleted


@router.delete("", response_model=DeleteKeysBody, responses=_ERRORS)
async def delete_values(
    namespace: str = _NAMESPACE, body: DeleteKeysBody = Body(...), svc: Services = Depends(services),
) -> dict[str, Any]:
    """Delete several keys; answers the keys that held a value."""
    deleted = [key for key in body.keys if await _call(_delete, svc, namespace, _key(key))]
    return {"keys": deleted}


def _delete(svc: Services, namespace: str, key: str) -> bool:
    if svc.kv.get(namespace, key) is None:
        return False
    svc.kv.delete(namespace, key)
    return True


async def _call(function: Callable[..., Any], *args: Any) -> Any:
    try:
        return await run_in_threadpool(function, *args)
    except KVUnavailable as exc:
        raise Unavailable(str(exc)) from None
    except KVError as exc:
        raise Unprocessable(str(exc)) from None


def _key(key: str) -> str:
    try:
        return check_key(key)
    except KVError as exc:
        raise Unprocessable(str(exc)) from None


def _ttl(ttl: str | None) -> timedelta | None:
    if ttl is None:
        return None
    try:
        return parse_duration(ttl)
    except ValueError as exc:
        raise Unprocessable(f"header ttl: {exc}") from None


def _parse_body(raw: bytes) -> tuple[Any, KVType | None]:
    text = raw.decode("utf-8", errors="replace").strip()
    if not text:
        raise Unprocessable("the body must hold the value, as JSON")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _unquoted(text), None
    if isinstance(value, str):
        try:
            parse_duration(value)
        except ValueError:
            return value, KVType.STRING
        return value, KVType.DURATION
    return value, typed_value(value)[0]


def _unquoted(text: str) -> Any:
    # Kestra reads the body as Ion, where a bare timestamp is a value of its own.
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise Unprocessable(f"Invalid JSON value for: {text[:200]}") from None


def _entry_body(entry: KVEntry) -> dict[str, Any]:
    return {
        "key": entry.key,
        "description": entry.description,
        "creationDate": utc(entry.created),
        "updateDate": utc(entry.updated),
        "expirationDate": utc(entry.expires),
    }


def _now() -> datetime:
    return datetime.now(timezone.utc)
