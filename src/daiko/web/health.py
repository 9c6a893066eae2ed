"""Liveness and readiness. Ready means every backing service answers; a 503 names the
part that did not, so an orchestrator's log says what to fix."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio.to_thread
from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from sqlalchemy import text

from daiko.broker import ping_broker
from daiko.errors import problem_response
from daiko.runtime import Runtime

CHECK_TIMEOUT_S = 5.0


async def _check_database(rt: Runtime) -> None:
    async with rt.db.app_engine.connect() as conn:
        await conn.execute(text("select 1"))


async def _check_broker(rt: Runtime) -> None:
    await anyio.to_thread.run_sync(ping_broker, rt.broker_url)


async def _check_store(rt: Runtime) -> None:
    await rt.store.check()


class HealthController(Controller):
    path = "/health"
    tags = ["health"]
    include_in_schema = True

    @get("/live", media_type=MediaType.JSON, opt={"public": True})
    async def live(self) -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @get("/ready", media_type=MediaType.JSON, opt={"public": True})
    async def ready(self, runtime: NamedDependency[Runtime]) -> Response[Any]:
        """Database, broker and document store all answer."""
        checks = {
            "database": _check_database(runtime),
            "broker": _check_broker(runtime),
            "storage": _check_store(runtime),
        }
        results: dict[str, str] = {}
        failed: list[dict[str, str]] = []
        outcomes = await asyncio.gather(
            *(asyncio.wait_for(c, CHECK_TIMEOUT_S) for c in checks.values()), return_exceptions=True
        )
        for name, outcome in zip(checks, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                reason = f"{type(outcome).__name__}: {outcome}".strip().rstrip(":")[:300]
                results[name] = "failed"
                failed.append({"field": name, "reason": reason})
            else:
                results[name] = "ok"
        if failed:
            return problem_response(
                status=503,
                slug="not-ready",
                title="Not ready",
                detail="; ".join(f"{f['field']}: {f['reason']}" for f in failed),
                instance="/health/ready",
                errors=failed,
                extra={"checks": results},
            )
        return Response({"status": "ok", "checks": results})
