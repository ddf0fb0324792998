"""Kestra 1.x's tenant segment (``/api/v1/{tenant}/...``): Harrier has one tenant, ``main``."""

from __future__ import annotations

from fastapi import Path

from harrier.webserver.exceptions import NotFound

__all__ = ["TENANT", "TENANT_PREFIX", "check_tenant"]

TENANT = "main"
TENANT_PREFIX = "/api/v1/{tenant}"


async def check_tenant(
    # The enum tells clients (and the fuzzer) the one tenant there is; any other is our 404.
    tenant: str = Path(description="The tenant: Harrier has one, main", json_schema_extra={"enum": [TENANT]}),
) -> None:
    """Refuse any tenant but ``main`` with a 404 that says so."""
    if tenant != TENANT:
        raise NotFound(f"tenant {tenant} does not exist: Harrier has one tenant, {TENANT}")
