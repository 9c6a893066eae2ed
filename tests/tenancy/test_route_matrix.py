"""The route matrix, generated from `app.routes`: no route is listed by hand.

For every guarded route (public ones and Litestar's OPTIONS excepted), with its path
parameters filled with tenant A's real ids from `tests.seeds.seed_everything`:

- anonymous → 401;
- every role the policy does not grant the route's action (from
  `daiko.auth.policy.ROLE_PERMISSIONS`), held in tenant A → 403 (none for `self`);
- a user who holds a permitted role only in tenant B → 404 (tenant A's object does not
  exist for them); platform actions have no "other tenant" (ops_admin spans all);
- a user permitted in both tenants, with `tenant_id` = B and the other ids from A → 404
  (an object is only found under its own tenant);
- GET with path parameters, as a positive control: a user permitted in A → success, so
  the 404s above are not an artefact of bogus ids.

Pages (paths outside `/api/`) may answer an anonymous request by redirecting to the
sign-in page instead of 401, and their errors are HTML rather than problem+json.

A path parameter with no seeded value fails the matrix: the domain that added the route
returns it from its `tests/<domain>/seed.py`. A route with a request body takes a
minimal valid body from a seed module's `ROUTE_BODIES` ("METHOD path" → body), so
validation cannot mask the answer under test.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Controller, Litestar, get
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.auth.policy import PLATFORM_ACTIONS, ROLE_PERMISSIONS, Action
from tests.factories import TestUser, World
from tests.seeds import TESTS, seed_everything
from tests.tenancy.conftest import MatrixPeople, SignedIn

PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Strongest first: the 403 and 404 checks use the nearest role that is (or is not) allowed.
TENANT_ROLES = ("client_admin", "lead", "client_member", "operator", "client_viewer")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as Litestar spells it, with converters: /x/{tenant_id:uuid}
    handler: HTTPRouteHandler

    @property
    def key(self) -> str:
        """ "METHOD path" without converters, the key of `ROUTE_BODIES`."""
        return f"{self.method} {PARAM.sub(lambda m: '{' + m.group(1) + '}', self.path)}"

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    @property
    def action(self) -> Action:
        action = self.handler.opt["action"]
        assert isinstance(action, Action), self.key
        return action

    @property
    def takes_body(self) -> bool:
        return "data" in self.handler.parsed_fn_signature.parameters

    def url(self, values: Mapping[str, str]) -> str:
        return PARAM.sub(lambda m: values[m.group(1)], self.path)


def endpoints(app: Litestar) -> Iterator[Endpoint]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            methods = set(handler.http_methods)
            if methods == {"OPTIONS"} or handler.opt.get("public") is True:
                continue
            for method in sorted(methods - {"OPTIONS", "HEAD"}):
                yield Endpoint(method, route.path, handler)


def route_bodies() -> dict[str, dict[str, Any]]:
    bodies: dict[str, dict[str, Any]] = {}
    for path in sorted(TESTS.glob("*/seed.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.seed")
        bodies.update(getattr(module, "ROUTE_BODIES", {}))
    return bodies


def uncovered(app: Litestar, params: Mapping[str, str], bodies: Mapping[str, Any]) -> list[str]:
    """What the matrix cannot call, each with what to do about it."""
    problems: list[str] = []
    for ep in endpoints(app):
        missing = [p for p in ep.params if p not in params]
        if missing:
            problems.append(
                f"{ep.key}: no seeded value for path parameter(s) {', '.join(missing)}; "
                f"return them (tenant A's ids) from the `seed` of your tests/<domain>/seed.py"
            )
        # Only the 404 checks reach past the guard into body parsing, and only routes
        # with path parameters have them.
        if ep.params and ep.method in UNSAFE and ep.takes_body and ep.key not in bodies:
            problems.append(
                f"{ep.key}: takes a request body; add a minimal valid one to ROUTE_BODIES "
                f'in your tests/<domain>/seed.py ({{"{ep.key}": {{...}}}})'
            )
    return problems


def allowed_roles(action: Action) -> frozenset[str]:
    if action is Action.SELF:
        return frozenset(TENANT_ROLES)
    return ROLE_PERMISSIONS.get(action, frozenset())


def test_uncovered_names_the_missing_seed() -> None:
    class WidgetController(Controller):
        path = "/api/v1/widgets"

        @get("/{widget_id:uuid}", opt={"action": Action.TENANT_READ})
        async def widget(self, widget_id: str) -> None: ...

    app = Litestar([WidgetController], openapi_config=None)
    assert uncovered(app, {"tenant_id": "x"}, {}) == [
        "GET /api/v1/widgets/{widget_id}: no seeded value for path parameter(s) widget_id; "
        "return them (tenant A's ids) from the `seed` of your tests/<domain>/seed.py"
    ]


async def test_every_guarded_route_answers_401_403_404_from_the_matrix(
    app: Litestar,
    owner_engine: AsyncEngine,
    world: World,
    people: MatrixPeople,
    signed_in: SignedIn,
    client: httpx.AsyncClient,
) -> None:
    params = await seed_everything(owner_engine, world)
    bodies = route_bodies()
    # Reported together with the failures below, so one run shows everything to fix.
    problems = uncovered(app, params, bodies)
    skip = {line.split(":", 1)[0] for line in problems}

    clients: dict[str, httpx.AsyncClient] = {}

    async def as_user(user: TestUser) -> httpx.AsyncClient:
        if user.email not in clients:
            clients[user.email] = await signed_in(user)
        return clients[user.email]

    failures: list[str] = []

    async def check(
        ep: Endpoint,
        who: str,
        c: httpx.AsyncClient,
        values: Mapping[str, str],
        expect: int | None,
    ) -> None:
        kwargs: dict[str, Any] = {}
        if ep.method in UNSAFE:
            # Always JSON: what an API client sends (and a body-less POST without a
            # session reads as a cross-site form to the CSRF check).
            kwargs["json"] = bodies.get(ep.key, {})
        r = await c.request(ep.method, ep.url(values), **kwargs)
        api = ep.path.startswith("/api/")
        if expect is None:
            ok = r.status_code < 400
        elif expect == 401 and not api and r.status_code in (302, 303):
            ok = bool(r.headers.get("location"))  # a page sends people to sign in
        else:
            ok = r.status_code == expect
            if ok and api:
                ok = r.headers.get("content-type", "").startswith("application/problem+json")
        if not ok:
            wanted = "success" if expect is None else f"{expect} problem+json"
            failures.append(f"{ep.key} as {who}: {r.status_code} (want {wanted}) {r.text[:200]}")

    other = {**params, "tenant_id": str(world.tenant_b.id)}
    checked = 0
    for ep in endpoints(app):
        if ep.key in skip:
            continue
        action = ep.action
        platform = action in PLATFORM_ACTIONS
        allowed = frozenset() if platform else allowed_roles(action)
        checked += 1

        await check(ep, "anonymous", client, params, 401)

        if action is not Action.SELF:
            for role in TENANT_ROLES:
                user = people.both[role] if role == "lead" else people.only_a[role]
                if role not in allowed:
                    await check(ep, f"{role} of A", await as_user(user), params, 403)
            if not platform:
                await check(ep, "ops_admin", await as_user(people.ops_admin), params, 403)

        if ep.params and not platform:
            role = next((r for r in TENANT_ROLES if r in allowed), None)
            assert role is not None, ep.key
            foreign = people.only_b[role]
            await check(ep, f"{role} of B only", await as_user(foreign), params, 404)

        if "tenant_id" in ep.params and len(ep.params) > 1:
            if platform:
                dual, who = people.ops_admin, "ops_admin"
            else:
                role = next(r for r in TENANT_ROLES if r in allowed)
                dual, who = people.both[role], f"{role} of A and B"
            await check(ep, f"{who}, tenant B in the path", await as_user(dual), other, 404)

        if ep.method == "GET" and ep.params:
            if platform:
                owner, who = people.ops_admin, "ops_admin"
            else:
                role = next(r for r in TENANT_ROLES if r in allowed)
                owner = people.both[role] if role == "lead" else people.only_a[role]
                who = f"{role} of A"
            await check(ep, f"{who} (positive control)", await as_user(owner), params, None)

    assert problems + failures == [], "\n".join(problems + failures)
    assert checked >= 14  # the tenancy routes alone; others add theirs
