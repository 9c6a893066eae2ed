"""The OpenAPI document is complete: every /api/v1 route is in it, with its security
scheme and scope, problem+json errors with stable types, the Idempotency-Key header
on POST/PATCH, rate-limit answers, examples, and the webhook events."""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar import Litestar

from daiko.auth.policy import PARTNER_SCOPES, Action
from daiko.partners.events import EVENT_TYPES
from tests.tenancy.test_route_matrix import PARAM

PROBLEM = "application/problem+json"


async def _doc(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get("/api/docs/openapi.json")
    assert r.status_code == 200
    doc: dict[str, Any] = r.json()
    return doc


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                found.add(v)
            else:
                found |= _refs(v)
    elif isinstance(node, list):
        for v in node:
            found |= _refs(v)
    return found


async def test_docs_are_browsable(client: httpx.AsyncClient) -> None:
    page = await client.get("/api/docs/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    doc = await _doc(client)
    assert doc["openapi"].startswith("3.1")
    assert "Idempotency-Key" in doc["info"]["description"]


async def test_every_api_route_is_documented_completely(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    from tests.tenancy.test_route_matrix import endpoints

    doc = await _doc(client)
    schemas = doc["components"]["schemas"]
    assert {f"#/components/schemas/{n}" for n in schemas} >= _refs(doc)
    scopes = doc["components"]["securitySchemes"]["partnerOAuth2"]["flows"]["clientCredentials"][
        "scopes"
    ]
    assert set(scopes) == set(PARTNER_SCOPES.values())
    missing: list[str] = []
    for ep in endpoints(app):
        if not ep.path.startswith("/api/v1/") or not ep.handler.include_in_schema:
            continue
        path = PARAM.sub(lambda m: "{" + m.group(1) + "}", ep.path)
        op = doc["paths"].get(path, {}).get(ep.method.lower())
        if op is None:
            missing.append(f"{ep.key}: not in the document")
            continue
        where = ep.key
        if not op.get("summary"):
            missing.append(f"{where}: no summary")
        scope = PARTNER_SCOPES.get(ep.action)
        expected_security = [{"session": []}]
        if scope is not None:
            expected_security.insert(0, {"partnerOAuth2": [scope]})
        elif ep.action is Action.SELF:
            expected_security.insert(0, {"partnerOAuth2": []})
        if op.get("security") != expected_security:
            missing.append(f"{where}: security {op.get('security')} != {expected_security}")
        responses = op["responses"]
        for status in ("401", "403", "404"):
            content = responses.get(status, {}).get("content", {})
            if list(content) != [PROBLEM]:
                missing.append(f"{where}: {status} is not problem+json")
        for status, response in responses.items():
            if int(status[0]) >= 4:
                examples = response["content"][PROBLEM]["examples"]
                for ex in examples.values():
                    if not re.fullmatch(r"urn:daiko:problem:[a-z0-9-]+", ex["value"]["type"]):
                        missing.append(f"{where}: {status} example type {ex['value']['type']}")
        if not any(s.startswith("2") or s.startswith("3") for s in responses):
            missing.append(f"{where}: no success answer")
        if ep.method in ("POST", "PATCH"):
            names = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
            key = names.get("Idempotency-Key")
            if key is None or key["required"] is not True:
                missing.append(f"{where}: no required Idempotency-Key header")
            for status in ("400", "409", "422"):
                if status not in responses:
                    missing.append(f"{where}: no {status} (idempotency)")
        if scope is not None:
            too_many = responses.get("429", {})
            if "Retry-After" not in too_many.get("headers", {}):
                missing.append(f"{where}: no 429 with Retry-After")
            ok = next(r for s, r in responses.items() if s[0] in "23")
            if "RateLimit" not in ok.get("headers", {}):
                missing.append(f"{where}: success without RateLimit headers")
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and "example" not in body and "examples" not in body:
            missing.append(f"{where}: request body without an example")
    assert missing == [], "\n".join(missing)


async def test_webhook_events_are_documented(client: httpx.AsyncClient) -> None:
    doc = await _doc(client)
    assert set(doc["webhooks"]) == set(EVENT_TYPES)
    op = doc["webhooks"]["case.status_changed"]["post"]
    assert {p["name"] for p in op["parameters"]} == {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
