"""The OpenAPI document, completed from what the routes declare.

Litestar generates paths, parameters and body schemas from the handlers; this adds what
the cross-cutting layers do for every route, so no domain has to repeat it:

- `security` per operation: the partner OAuth2 scope its action needs
  (`daiko.auth.policy.PARTNER_SCOPES`) or the session cookie; none on public routes;
- every error answer as RFC 9457 `application/problem+json` (component `Problem`) with
  an example carrying its stable `type` URI;
- the `Idempotency-Key` header on every POST and PATCH under /api/v1, and its 400, 409
  and 422 answers;
- the `RateLimit` / `RateLimit-Policy` headers and the 429 with `Retry-After`;
- the webhook events (OpenAPI 3.1 `webhooks`) with their Standard Webhooks headers.

`DaikoOpenAPIConfig` produces the document; `attach(app)` gives it the route table.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, fields
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import OpenAPI
from litestar.routes import HTTPRoute

from daiko.auth.policy import PARTNER_SCOPES, Action
from daiko.partners.events import EVENT_TYPES

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
API = "/api/v1/"

SCOPE_DESCRIPTIONS = {
    "jobs:read": "Read background jobs and their progress.",
    "cases:read": "Read cases, their history and messages.",
    "cases:write": "Open cases, post messages, move cases along.",
    "documents:read": "List and download documents.",
    "documents:write": "Upload documents.",
    "employees:read": "Read the employee master.",
    "employees:write": "Create, change and bulk-upsert employees and monthly inputs.",
    "payroll:read": "Read payroll runs, results and payslips.",
    "journals:read": "Read journal entries.",
    "social_insurance:write": "Create social-insurance procedures and read their status.",
    "webhooks:manage": "Manage webhook subscriptions and read their delivery log.",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem. `type` is stable: branch on it, not on `title`.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {
            "type": "string",
            "format": "uri",
            "examples": ["urn:daiko:problem:not-found"],
        },
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

# status → (description, [(example name, slug, title)])
ERRORS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "400": (
        "The request is malformed (or lacks a required header).",
        [
            ("validation", "validation", "The request is malformed"),
            (
                "idempotency-key-missing",
                "idempotency-key-missing",
                "An Idempotency-Key header is required",
            ),
        ],
    ),
    "401": (
        "No valid credentials: a bearer token that verifies, or a session.",
        [("not-authenticated", "not-authenticated", "Authentication is required")],
    ),
    "403": (
        "The credentials do not allow this (scope, role, or a suspended tenant).",
        [("forbidden", "forbidden", "You may not do this")],
    ),
    "404": (
        "No such object in your tenants (another tenant's object is not found either).",
        [("not-found", "not-found", "Not found")],
    ),
    "409": (
        "Conflict with the current state, or the first request with this Idempotency-Key "
        "is still running.",
        [
            ("conflict", "conflict", "Conflict with the current state"),
            (
                "idempotency-key-in-use",
                "idempotency-key-in-use",
                "A request with this Idempotency-Key is still running",
            ),
        ],
    ),
    "412": (
        "The If-Match version is stale.",
        [("precondition-failed", "precondition-failed", "The resource changed meanwhile")],
    ),
    "413": (
        "The body is too large.",
        [("http-413", "http-413", "Request Entity Too Large")],
    ),
    "415": ("Unsupported media type.", [("http-415", "http-415", "Unsupported Media Type")]),
    "422": (
        "The input is not valid, or the Idempotency-Key was used for another request.",
        [
            ("invalid-input", "invalid-input", "The input is not valid"),
            (
                "idempotency-key-reused",
                "idempotency-key-reused",
                "This Idempotency-Key was used for a different request",
            ),
        ],
    ),
    "428": (
        "An If-Match header is required.",
        [("precondition-required", "precondition-required", "If-Match is required")],
    ),
    "429": (
        "Rate limit reached for this client and tenant; retry after `Retry-After` seconds.",
        [("rate-limited", "rate-limited", "Too many requests")],
    ),
    "500": (
        "Something went wrong on our side; the problem quotes the request id.",
        [("internal", "internal", "Internal server error")],
    ),
    "503": (
        "A required service is unavailable.",
        [("unavailable", "unavailable", "A required service is unavailable")],
    ),
}

RATE_HEADERS: dict[str, Any] = {
    "RateLimit": {
        "description": 'Remaining quota and seconds until it is full: `"default";r=599;t=1` '
        "(draft-ietf-httpapi-ratelimit-headers). Partner clients only.",
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": 'The quota: `"default";q=600;w=60` (requests per window in seconds).',
        "schema": {"type": "string"},
    },
}

IDEMPOTENCY_PARAM: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": (
        "A unique value per operation (a UUID, say), reused on every retry of it "
        "(draft-ietf-httpapi-idempotency-key-header). Required of partner clients; kept "
        "24 hours per tenant and client; a retry gets the first response replayed "
        "(`Idempotency-Replayed: true`)."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    "example": "5f1c9a2e-8a7b-4c52-9b1e-3f0d2c6a7e10",
}

DESCRIPTION = """
Partner and client API of Daiko (代行), a multi-tenant back-office outsourcing portal.

**Authentication.** Partners use OAuth2 client credentials at `/oauth/token` (keys at
`/.well-known/jwks.json`); a tenant's client_admin grants a partner scopes for that
tenant. People use the portal's session cookie.

**Errors** are RFC 9457 `application/problem+json` with a stable `type`
(`urn:daiko:problem:<slug>`): `validation`, `idempotency-key-missing`,
`idempotency-key-invalid`, `not-authenticated`, `forbidden`, `not-found`, `conflict`,
`idempotency-key-in-use`, `invalid-input`, `idempotency-key-reused`, `rate-limited`,
`internal`, `unavailable`, and domain-specific ones named in each operation.

**Idempotency.** Every POST and PATCH takes an `Idempotency-Key` header (required of
partners): 400 when missing, 422 when reused for another request, 409 while the first
is still running; the first response is replayed for 24 hours.

**Rate limits** per partner client and tenant: `RateLimit-Policy` and `RateLimit`
headers on every answer, 429 with `Retry-After` past the quota.

**Lists** page with an opaque `cursor` (`next_cursor` in each page) in a stable order;
sync lists take `updated_since`.

**Webhooks** are signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256>`); see the `webhooks` section for events.
""".strip()


def _problem_response(status: str, description: str | None = None) -> dict[str, Any]:
    default, examples = ERRORS[status]
    return {
        "description": description or default,
        "content": {
            PROBLEM: {
                "schema": PROBLEM_REF,
                "examples": {
                    name: {
                        "value": {
                            "type": f"urn:daiko:problem:{slug}",
                            "title": title,
                            "status": int(status),
                        }
                    }
                    for name, slug, title in examples
                },
            }
        },
    }


def _handlers(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    out: dict[tuple[str, str], HTTPRouteHandler] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                out[(route.path_format or "/", method.lower())] = handler
    return out


def _webhooks() -> dict[str, Any]:
    headers = [
        {
            "name": "webhook-id",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "The message id, the same on every retry and replay (dedupe on it).",
        },
        {
            "name": "webhook-timestamp",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Unix seconds when this attempt was signed.",
        },
        {
            "name": "webhook-signature",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": '`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, '
            "space-separated per live secret (two during a rotation).",
        },
    ]
    out: dict[str, Any] = {}
    for event, description in EVENT_TYPES.items():
        out[event] = {
            "post": {
                "summary": description,
                "operationId": f"webhook_{event.replace('.', '_')}",
                "parameters": headers,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["type", "timestamp", "data"],
                                "properties": {
                                    "type": {"const": event},
                                    "timestamp": {"type": "string", "format": "date-time"},
                                    "data": {"type": "object"},
                                },
                            },
                            "example": {
                                "type": event,
                                "timestamp": "2026-04-01T09:00:00+00:00",
                                "data": {"tenant_id": "0190f3a2-7c1e-7b55-9d2a-1f0c5e6a7b80"},
                            },
                        }
                    },
                },
                "responses": {
                    "2XX": {"description": "Accepted. Anything else is retried with backoff."}
                },
            }
        }
    return out


_FORMATS = {
    "uuid": "0190f3a2-7c1e-7b55-9d2a-1f0c5e6a7b80",
    "date": "2026-04-01",
    "date-time": "2026-04-01T09:00:00+09:00",
    "uri": "https://hooks.example.com/daiko",
    "email": "hr@example.co.jp",
}


def example_of(node: Any, schemas: dict[str, Any], depth: int = 0) -> Any:
    """A plausible example value from a JSON schema: its own examples, defaults, enums
    or formats, required properties only (what a minimal valid request holds)."""
    if not isinstance(node, dict) or depth > 8:
        return None
    if "$ref" in node:
        return example_of(schemas.get(node["$ref"].rsplit("/", 1)[-1]), schemas, depth + 1)
    for key in ("example", "const", "default"):
        if key in node and node[key] is not None:
            return node[key]
    if node.get("examples"):
        return node["examples"][0]
    if node.get("enum"):
        return node["enum"][0]
    for key in ("oneOf", "anyOf"):
        if key in node:
            options = [o for o in node[key] if o.get("type") != "null"]
            return example_of(options[0], schemas, depth + 1) if options else None
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        required = node.get("required", [])
        return {
            name: example_of(props[name], schemas, depth + 1) for name in required if name in props
        }
    if kind == "array":
        n = node.get("minItems", 1)
        item = example_of(node.get("items", {}), schemas, depth + 1)
        return [item] * max(1, n) if item is not None else []
    if kind == "string":
        if node.get("format") in _FORMATS:
            return _FORMATS[node["format"]]
        return "x" * max(1, node.get("minLength", 1)) if "pattern" not in node else None
    if kind == "integer":
        return int(node.get("minimum", node.get("exclusiveMinimum", 0) + 1))
    if kind == "number":
        return node.get("minimum", 1)
    if kind == "boolean":
        return False
    return None


def _add_examples(op: dict[str, Any], schemas: dict[str, Any]) -> None:
    bodies = [op.get("requestBody", {})] + [
        r for code, r in op.get("responses", {}).items() if code.startswith("2")
    ]
    for body in bodies:
        for media in body.get("content", {}).values():
            if "example" in media or "examples" in media or "schema" not in media:
                continue
            value = example_of(media["schema"], schemas)
            if value is not None:
                media["example"] = value


def enrich(schema: dict[str, Any], app: Litestar) -> dict[str, Any]:
    schema = copy.deepcopy(schema)
    handlers = _handlers(app)
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    oauth = components.get("securitySchemes", {}).get("partnerOAuth2")
    if oauth is not None:
        flow = oauth["flows"]["clientCredentials"]
        flow["scopes"] = {
            s: SCOPE_DESCRIPTIONS.get(s, s) for s in sorted(set(PARTNER_SCOPES.values()))
        }
    schema.setdefault("info", {})["description"] = DESCRIPTION
    schema["webhooks"] = _webhooks()
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete", "head"):
                continue
            handler = handlers.get((path, method))
            _add_examples(op, components["schemas"])
            public = handler is None or bool(handler.opt.get("public"))
            action = None if handler is None else handler.opt.get("action")
            responses: dict[str, Any] = op.setdefault("responses", {})
            for status in list(responses):
                if status.isdigit() and int(status) >= 400 and status in ERRORS:
                    responses[status] = _problem_response(
                        status, responses[status].get("description")
                    )
            # A handler that says it redirects (its docstring names the 30x) documents it.
            doc = (handler.fn.__doc__ or "") if handler is not None else ""
            for code in sorted(set(re.findall(r"\b(30[1237])\b", doc))):
                responses.setdefault(
                    code,
                    {
                        "description": "A redirect to the resource (see `Location`).",
                        "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                    },
                )
            if public:
                op["security"] = []
                for status in ("400", "500"):
                    responses.setdefault(status, _problem_response(status))
                continue
            scope = PARTNER_SCOPES.get(action) if isinstance(action, Action) else None
            security: list[dict[str, list[str]]] = []
            if scope is not None or action is Action.SELF:
                security.append({"partnerOAuth2": [scope] if scope else []})
            security.append({"session": []})
            op["security"] = security
            for status in ("400", "401", "403", "404", "500", "503"):
                responses.setdefault(status, _problem_response(status))
            if not path.startswith(API):
                continue
            # Any input can be semantically wrong (a stale cursor, an unknown tenant).
            responses.setdefault("422", _problem_response("422"))
            if method in ("post", "put", "patch", "delete"):
                responses.setdefault("409", _problem_response("409"))
            if any(p.get("name", "").lower() == "if-match" for p in op.get("parameters", [])):
                responses.setdefault("412", _problem_response("412"))
                responses.setdefault("428", _problem_response("428"))
            if method in ("post", "patch"):
                params = op.setdefault("parameters", [])
                if not any(p.get("name", "").lower() == "idempotency-key" for p in params):
                    params.append(IDEMPOTENCY_PARAM)
                for status in ("409", "422"):
                    responses.setdefault(status, _problem_response(status))
            if method in ("post", "put", "patch"):
                responses.setdefault("413", _problem_response("413"))
                responses.setdefault("415", _problem_response("415"))
                responses.setdefault("422", _problem_response("422"))
            if scope is not None:
                too_many = _problem_response("429")
                too_many["headers"] = {
                    "Retry-After": {
                        "description": "Seconds to wait.",
                        "schema": {"type": "integer"},
                    },
                    **RATE_HEADERS,
                }
                responses.setdefault("429", too_many)
                for status, response in responses.items():
                    if status.startswith("2") and isinstance(response, dict):
                        response.setdefault("headers", {}).update(RATE_HEADERS)
    return schema


class DaikoOpenAPI(OpenAPI):
    """An `OpenAPI` whose serialised form is completed by `enrich`."""

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        app = getattr(self, "_daiko_app", None)
        return enrich(schema, app) if app is not None else schema


@dataclass
class DaikoOpenAPIConfig(OpenAPIConfig):
    def to_openapi_schema(self) -> OpenAPI:
        base = super().to_openapi_schema()
        out = DaikoOpenAPI(**{f.name: getattr(base, f.name) for f in fields(base)})
        out._daiko_app = getattr(self, "_daiko_app", None)  # type: ignore[attr-defined]
        return out


def attach(app: Litestar) -> None:
    """Give the document the app's route table (call once the app is built)."""
    config = app.openapi_config
    if config is not None:
        config._daiko_app = app  # type: ignore[attr-defined]
