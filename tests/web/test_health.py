"""Health, problem+json, request ids, metrics, OpenAPI: the HTTP edges every route shares."""

from __future__ import annotations

import dataclasses

import httpx

from daiko.app import create_app
from daiko.runtime import Runtime
from tests.conftest import http_client


async def test_live(client: httpx.AsyncClient) -> None:
    r = await client.get("/health/live")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


async def test_ready_checks_every_service(client: httpx.AsyncClient) -> None:
    r = await client.get("/health/ready")
    assert r.status_code == 200
    assert r.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }


async def test_ready_names_the_failing_part(runtime: Runtime) -> None:
    broken = dataclasses.replace(runtime, broker_url="redis://127.0.0.1:1/0")
    async with http_client(create_app(runtime.settings, runtime=broken)) as c:
        r = await c.get("/health/ready")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "urn:daiko:problem:not-ready"
    assert body["checks"] == {"database": "ok", "broker": "failed", "storage": "ok"}, body
    assert [e["field"] for e in body["errors"]] == ["broker"]
    assert "Connection" in body["errors"][0]["reason"]


async def test_unknown_route_is_problem_json(client: httpx.AsyncClient) -> None:
    r = await client.get("/no/such/thing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json() == {
        "type": "urn:daiko:problem:not-found",
        "title": "Not found",
        "status": 404,
        "instance": "/no/such/thing",
    }


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    r = await client.get("/health/live", headers={"X-Request-ID": "abc-123-def-456"})
    assert r.headers["x-request-id"] == "abc-123-def-456"
    r = await client.get("/health/live", headers={"X-Request-ID": "bad id\n"})
    assert len(r.headers["x-request-id"]) == 32
    assert r.headers["x-request-id"] != "bad id"


async def test_metrics_are_prometheus_text(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/docs/openapi.json")).status_code == 200
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert (
        'daiko_requests_total{app_name="daiko",method="GET",path="/api/docs/openapi.json",status_code="200"}'
        in r.text
    )


async def test_openapi_is_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/docs/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    assert spec["info"]["title"] == "Daiko API"
    assert spec["openapi"].startswith("3.1")
    assert "/health/ready" in spec["paths"]
    assert (await client.get("/api/docs")).status_code == 200
