"""The application factory. `DaikoPlugin` is the one visible place that wires routes,
dependencies, exception handlers, middleware, templates, OpenAPI and metrics.

Serve with `daiko serve` (uvicorn, factory mode: `daiko.app:create_app`).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Router
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, SecurityScheme
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

import daiko
from daiko.auth.middleware import authentication_middleware
from daiko.auth.policy import policy_guard
from daiko.config import Settings, get_settings
from daiko.errors import EXCEPTION_HANDLERS
from daiko.logging import configure_logging
from daiko.partners.idempotency import idempotency_middleware
from daiko.partners.openapi import DaikoOpenAPIConfig
from daiko.partners.openapi import attach as attach_openapi
from daiko.partners.ratelimit import ratelimit_middleware
from daiko.runtime import Runtime
from daiko.tenancy.scope import NO_TENANTS, TenantScope
from daiko.web import i18n
from daiko.web.health import HealthController
from daiko.web.i18n import locale_middleware
from daiko.web.middleware import request_id_middleware

WEB_DIR = Path(__file__).parent / "web"

# Domains whose `api.py` / `web.py` export `routes`; listed here so the app's shape is
# readable in one place. A domain without those modules yet is skipped.
DOMAINS: Sequence[str] = (
    "web",
    "tenancy",
    "auth",
    "jobs",
    "cases",
    "documents",
    "audit",
    "sla",
    "employees",
    "payroll",
    "bookkeeping",
    "bookkeeping.imports",
    "social_insurance",
    "partners",
    "security",
)


def domain_routes() -> list[ControllerRouterHandler]:
    routes: list[ControllerRouterHandler] = []
    for domain in DOMAINS:
        for room in ("api", "web", "pages"):
            name = f"daiko.{domain}.{room}"
            if importlib.util.find_spec(f"daiko.{domain}") is None:
                break
            if importlib.util.find_spec(name) is None:
                continue
            routes.extend(getattr(importlib.import_module(name), "routes", []))
    return routes


def provide_runtime(request: Request[Any, Any, Any]) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def request_tenant_scope(request: Request[Any, Any, Any]) -> TenantScope:
    """The scope the authentication layer resolved for this request (none if anonymous)."""
    scope = request.scope.get("state", {}).get("tenant_scope")
    return scope if isinstance(scope, TenantScope) else NO_TENANTS


async def provide_db_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """One session, one transaction per request, in the principal's tenant scope.

    The request (the edge) owns the transaction: it commits when the handler returns and
    rolls back when it raises. Services and repositories only flush.
    """
    runtime: Runtime = request.app.state.runtime
    async with runtime.db.session(request_tenant_scope(request)) as session:
        yield session


class MetricsController(PrometheusController):
    """Prometheus scrape endpoint; network policy, not sign-in, protects it."""

    opt = {"public": True}
    include_in_schema = False


class DaikoPlugin(InitPluginProtocol):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings = self.settings

        @asynccontextmanager
        async def lifespan(app: Litestar) -> AsyncIterator[None]:
            # Built here, inside the server's event loop: asyncpg connections belong to it.
            owned = app.state.get("runtime") is None
            if owned:
                app.state.runtime = Runtime.from_settings(settings)
            try:
                yield
            finally:
                if owned:
                    await app.state.runtime.close()

        prometheus = PrometheusConfig(
            app_name="daiko", prefix="daiko", group_path=True, exclude=["/metrics", "/health"]
        )
        app_config.route_handlers.extend(
            [HealthController, MetricsController, *domain_routes(), self._static()]
        )
        app_config.middleware.insert(0, request_id_middleware)
        app_config.middleware.insert(1, authentication_middleware)
        app_config.middleware.insert(2, locale_middleware)
        # Partner API (daiko.partners): rate limits, then Idempotency-Key on POST/PATCH.
        app_config.middleware.insert(3, ratelimit_middleware)
        app_config.middleware.insert(4, idempotency_middleware)
        app_config.guards.append(policy_guard)
        app_config.middleware.append(prometheus.middleware)
        app_config.dependencies.update(
            {
                "runtime": Provide(provide_runtime, sync_to_thread=False),
                "db_session": Provide(provide_db_session),
            }
        )
        app_config.exception_handlers.update(EXCEPTION_HANDLERS)
        app_config.lifespan.append(lifespan)
        app_config.template_config = TemplateConfig(
            directory=WEB_DIR / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: i18n.install(engine.engine),
        )
        # DaikoOpenAPIConfig completes the document (security per route, problem+json
        # errors, Idempotency-Key, rate-limit headers, webhooks): daiko.partners.openapi.
        app_config.openapi_config = DaikoOpenAPIConfig(
            title="Daiko API",
            version=daiko.__version__,
            description=(
                "Partner and client API of Daiko (代行), a multi-tenant back-office "
                "outsourcing portal. Errors are RFC 9457 problem+json."
            ),
            path="/api/docs",
            openapi_router=Router(path="/api/docs", route_handlers=[], opt={"public": True}),
            render_plugins=[ScalarRenderPlugin(path="/"), SwaggerRenderPlugin(path="/swagger")],
            components=Components(
                security_schemes={
                    "partnerOAuth2": SecurityScheme(
                        type="oauth2",
                        description="OAuth2 client credentials (RFC 6749 §4.4).",
                        flows=OAuthFlows(
                            client_credentials=OAuthFlow(token_url="/oauth/token", scopes={})  # noqa: S106
                        ),
                    ),
                    "session": SecurityScheme(
                        type="apiKey", security_scheme_in="cookie", name="daiko_session"
                    ),
                }
            ),
        )
        app_config.debug = False
        app_config.logging_config = None  # structlog owns logging (daiko.logging)
        return app_config

    @staticmethod
    def _static() -> ControllerRouterHandler:
        return create_static_files_router(
            path="/static",
            directories=[WEB_DIR / "static"],
            include_in_schema=False,
            opt={"public": True},
        )


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format, is_dev=settings.is_dev)
    app = Litestar(plugins=[DaikoPlugin(settings)])
    attach_openapi(app)
    if runtime is not None:
        app.state.runtime = runtime
    return app
