"""Partner bearer tokens → `Principal`. Completed by the partner OAuth2 work (issue 4)."""

from __future__ import annotations

from daiko.auth.principal import Principal
from daiko.errors import NotAuthenticated
from daiko.runtime import Runtime


async def resolve_bearer(runtime: Runtime, token: str) -> Principal:
    raise NotAuthenticated("bearer tokens are not accepted yet")
