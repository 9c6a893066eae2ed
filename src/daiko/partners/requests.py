"""What the partner-API middlewares need to know about a request before routing hands
it to a handler: who is calling (a stable principal key) and for which tenant."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qs

from litestar.types import Scope

from daiko.auth.principal import Principal

API_PREFIX = "/api/v1/"


def principal_of(scope: Scope) -> Principal | None:
    principal = scope.get("state", {}).get("principal")
    return principal if isinstance(principal, Principal) else None


def principal_key(principal: Principal) -> str:
    if principal.kind == "partner":
        return f"partner:{principal.client_id}"
    return f"user:{principal.user_id}"


def is_public(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return handler is None or bool(getattr(handler, "opt", {}).get("public"))


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            return None
    return None


def request_tenant(
    scope: Scope, principal: Principal, body: bytes | None = None
) -> uuid.UUID | None:
    """The tenant a request acts for: the path's `tenant_id`, else the query's, else a
    JSON body's `tenant_id`, else the principal's first tenant (sorted, so a retry of
    the same request always lands on the same tenant). Only tenants in the principal's
    scope count; None when it has none."""
    tenants = principal.scope.tenant_ids
    if not tenants:
        return None
    candidates: list[uuid.UUID | None] = [_uuid(scope.get("path_params", {}).get("tenant_id"))]
    query = scope.get("query_string", b"")
    if query:
        values = parse_qs(query.decode("latin-1")).get("tenant_id", [])
        candidates.append(_uuid(values[0]) if values else None)
    if body:
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            parsed = None
        if isinstance(parsed, dict):
            candidates.append(_uuid(parsed.get("tenant_id")))
    for candidate in candidates:
        if candidate is not None and candidate in tenants:
            return candidate
    return min(tenants, key=str)


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
