"""Load the settings: packaged defaults < ``--config`` files (in order) < environment variables.

Layers are deep-merged: a mapping merges key by key, anything else (scalars, lists) replaces.
Every key remembers which layer set it, so a validation error names the file (or
environment variable) it came from as well as the key path.

Environment variables: ``HARRIER__`` followed by the key path, sections separated by ``__``;
within a key, ``_`` stands for ``-``: ``HARRIER__EXECUTOR__POLL_MS=50`` sets
``executor.poll-ms``. Below a property map (``kafka.properties``, ``kafka.producer``,
``topics.overrides.<topic>.config``, ...) the rest of the name is the property with ``_``
standing for ``.``: ``HARRIER__KAFKA__PROPERTIES__SECURITY_PROTOCOL=SSL`` sets
``kafka.properties.security.protocol``. Values are read as YAML, so ``50`` is a number,
``true`` a boolean and ``[http://a:9200, http://b:9200]`` a list; quote to force a string.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import yaml
from pydantic import BaseModel, ValidationError

from harrier.config.exceptions import ConfigError
from harrier.config.settings import Settings

__all__ = [
    "DEFAULTS_FILE",
    "ENV_PREFIX",
    "load_settings",
    "load_settings_or_exit",
    "render_settings",
]

DEFAULTS_FILE = Path(__file__).with_name("defaults.yml")
ENV_PREFIX = "HARRIER__"

Origins = dict[tuple[str, ...], str]


def load_settings(
    paths: Iterable[str | Path] = (), environ: Mapping[str, str] | None = None
) -> Settings:
    """Load and validate the settings; raise ``ConfigError`` (one line) on any problem.

    ``paths`` are the ``--config`` files in order (later wins); ``environ`` defaults to
    ``os.environ``.
    """
    merged: dict[str, Any] = {}
    origins: Origins = {}
    _merge(merged, _read_yaml(DEFAULTS_FILE, DEFAULTS_FILE.name), DEFAULTS_FILE.name, (), origins)
    for path in paths:
        source = str(path)
        _merge(merged, _read_yaml(Path(path), source), source, (), origins)
    env = os.environ if environ is None else environ
    for name in sorted(env):
        if name.startswith(ENV_PREFIX):
            layer = _env_layer(name, env[name])
            _merge(merged, layer, f"env {name}", (), origins)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise _to_config_error(exc, origins) from None


def load_settings_or_exit(paths: Iterable[str | Path] = ()) -> Settings:
    """Load the settings for a command; on error print the one-line reason and exit 2."""
    try:
        return load_settings(paths)
    except ConfigError as exc:
        _exit(str(exc))


def render_settings(settings: Settings) -> str:
    """The effective settings as YAML, leaving out topic overrides that change nothing.

    Credentials are shown as ``******``: the encryption key, bearer tokens, users' passwords
    and any Kafka or Elasticsearch client property whose name says password, secret or key.
    """
    data = settings.model_dump(mode="json")
    _hide_credentials(data)
    overrides = data["topics"]["overrides"]
    for name in list(overrides):
        kept = {key: value for key, value in overrides[name].items() if value not in (None, {})}
        if kept:
            overrides[name] = kept
        else:
            del overrides[name]
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


_HIDDEN = "******"
_SECRET_WORDS = ("password", "secret", "key", "token", "credentials")


def _hide_credentials(data: dict[str, Any]) -> None:
    auth = data["webserver"]["auth"]
    auth["users"] = {name: _HIDDEN for name in auth["users"]}
    auth["tokens"] = [_HIDDEN for _ in auth["tokens"]]
    if data["encryption"]["secret-key"] is not None:
        data["encryption"]["secret-key"] = _HIDDEN
    _hide_secret_properties(data["kafka"])
    _hide_secret_properties(data["elasticsearch"])


def _hide_secret_properties(section: Any) -> None:
    if isinstance(section, dict):
        for name, value in section.items():
            if isinstance(value, (dict, list)):
                _hide_secret_properties(value)
            elif isinstance(value, str) and any(word in name.lower() for word in _SECRET_WORDS):
                section[name] = _HIDDEN
    elif isinstance(section, list):
        for item in section:
            _hide_secret_properties(item)


def _exit(line: str) -> NoReturn:
    print(line, file=sys.stderr)
    raise SystemExit(2)


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that rejects duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path, source: str) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, "file not found") from None
    except IsADirectoryError:
        raise ConfigError(source, "is a directory, expected a YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, f"cannot read: {exc}") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ConfigError(where, f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, f"invalid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(source, f"expected a mapping at the top level, got {_kind(data)}")
    return data


def _merge(
    into: dict[str, Any],
    layer: Mapping[Any, Any],
    source: str,
    prefix: tuple[str, ...],
    origins: Origins,
) -> None:
    for key, value in layer.items():
        path = (*prefix, str(key))
        origins[path] = source
        if isinstance(value, Mapping):
            current = into.get(key)
            if not isinstance(current, dict):
                current = into[key] = {}
            _merge(current, value, source, path, origins)
        else:
            into[key] = value


def _env_layer(name: str, raw: str) -> dict[str, Any]:
    path = _env_path(name[len(ENV_PREFIX) :].split("__"))
    layer: dict[str, Any] = {}
    node = layer
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = _env_value(raw)
    return layer


def _env_path(segments: list[str]) -> list[str]:
    """Map ``EXECUTOR``, ``POLL_MS`` to ``executor``, ``poll-ms`` by walking the model."""
    path: list[str] = []
    model: type[BaseModel] | None = Settings
    for index, segment in enumerate(segments):
        key = segment.lower().replace("_", "-")
        if model is None:
            path.append(key)
            continue
        fields = {field.alias or name: field for name, field in model.model_fields.items()}
        field = fields.get(key)
        path.append(key)
        if field is None:
            model = None
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            model = field.annotation
        else:
            rest = segments[index + 1 :]
            if rest:
                # A property map: the remainder is one dotted property name.
                path.append(".".join(rest).lower().replace("_", "."))
            return path
    return path


def _env_value(raw: str) -> Any:
    if not raw.strip():
        return raw
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def _to_config_error(exc: ValidationError, origins: Origins) -> ConfigError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(str(part) for part in first["loc"])
    source = next(
        (origins[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in origins), "settings"
    )
    problem = _describe(first)
    if len(errors) > 1:
        problem += f" (and {len(errors) - 1} more)"
    return ConfigError(source, problem, _format_path(first["loc"]) or None)


def _format_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        problem = "expected a mapping"
    else:
        # "Input should be a valid integer, unable to parse string as an integer": the part
        # after the comma repeats the first half.
        problem = error["msg"].split(", unable to")[0]
        problem = problem[:1].lower() + problem[1:]
    value = error.get("input")
    if isinstance(value, str | int | float | bool) or value is None:
        problem += f" (got {value!r})"
    else:
        problem += f" (got {_kind(value)})"
    return problem


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
