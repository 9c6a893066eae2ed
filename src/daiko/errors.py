"""One error family, one mapping to RFC 9457 `application/problem+json`.

Every error a client sees has a stable `type` URI (`urn:daiko:problem:<slug>`), a title,
a status, and where input was wrong an `errors` list of `{field, reason}`. No stack trace
ever leaves the process; a 500 carries the request id so the log can be found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger(__name__)


def problem_type(slug: str) -> str:
    return f"urn:daiko:problem:{slug}"


class DaikoError(Exception):
    """Base of every error we raise on purpose. Subclasses fix status and slug."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.errors = list(errors or [])
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        super().__init__(self.detail)


class InvalidInput(DaikoError):
    status = 422
    slug = "invalid-input"
    title = "The input is not valid"

    @classmethod
    def field(cls, field: str, reason: str) -> InvalidInput:
        return cls(f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


class NotAuthenticated(DaikoError):
    status = 401
    slug = "not-authenticated"
    title = "Authentication is required"


class Forbidden(DaikoError):
    status = 403
    slug = "forbidden"
    title = "You may not do this"


class NotFound(DaikoError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DaikoError):
    status = 409
    slug = "conflict"
    title = "Conflict with the current state"


class TooManyRequests(DaikoError):
    status = 429
    slug = "too-many-requests"
    title = "Too many requests"


class ServiceUnavailable(DaikoError):
    status = 503
    slug = "unavailable"
    title = "A required service is unavailable"


def problem_response(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str | None,
    instance: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": problem_type(slug), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = list(errors)
    if extra:
        body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


_NOT_PAGES = ("/api", "/oauth", "/.well-known", "/health", "/metrics", "/static")


def wants_page(request: Request[Any, Any, Any]) -> bool:
    """A browser asking for a page gets an HTML error page (or the sign-in page for a
    401); API clients always get problem+json."""
    if request.url.path.startswith(_NOT_PAGES):
        return False
    handler = request.scope.get("route_handler")
    if handler is not None and handler.opt.get("page"):
        return True
    return "text/html" in request.headers.get("accept", "")


def page_or_problem(request: Request[Any, Any, Any], response: Response[Any]) -> Response[Any]:
    if not wants_page(request) or not isinstance(response.content, dict):
        return response
    from urllib.parse import quote

    from litestar.response import Redirect, Template

    body: dict[str, Any] = response.content
    status = int(body.get("status") or response.status_code or 500)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"/auth/login?next={quote(target, safe='/')}", status_code=303)
    from daiko.web.i18n import gettext

    page = Template(
        template_name="error.html",
        status_code=status,
        context={
            "title": gettext(str(body.get("title", "Error"))),
            "detail": body.get("detail"),
            "errors": body.get("errors"),
            "request_id": _request_id(request),
            "path": request.url.path,
        },
    )
    return page


def _request_id(request: Request[Any, Any, Any]) -> str | None:
    rid = request.scope.get("state", {}).get("request_id")
    return str(rid) if rid else None


def daiko_error_handler(request: Request[Any, Any, Any], exc: DaikoError) -> Response[Any]:
    return page_or_problem(request, _daiko_problem(request, exc))


def _daiko_problem(request: Request[Any, Any, Any], exc: DaikoError) -> Response[Any]:
    return problem_response(
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        instance=request.url.path,
        errors=exc.errors,
        extra=exc.extra,
        headers=exc.headers,
    )


def _validation_errors(exc: ValidationException) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict):
            field = item.get("key") or item.get("source") or "body"
            out.append({"field": str(field), "reason": str(item.get("message", exc.detail))})
    if not out:
        out.append({"field": "body", "reason": exc.detail})
    return out


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return page_or_problem(request, _http_problem(request, exc))


def _http_problem(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errs = _validation_errors(exc)
        return problem_response(
            status=400,
            slug="validation",
            title="The request is malformed",
            detail="; ".join(f"{e['field']}: {e['reason']}" for e in errs),
            instance=request.url.path,
            errors=errs,
        )
    known: dict[type[HTTPException], tuple[str, str]] = {
        NotAuthorizedException: ("not-authenticated", "Authentication is required"),
        PermissionDeniedException: ("forbidden", "You may not do this"),
        NotFoundException: ("not-found", "Not found"),
    }
    slug, title = known.get(type(exc), (f"http-{status}", exc.detail or "HTTP error"))
    detail = exc.detail if exc.detail and exc.detail.lower() != title.lower() else None
    return problem_response(
        status=status,
        slug=slug,
        title=title,
        detail=detail,
        instance=request.url.path,
        headers=exc.headers or None,
    )


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    rid = _request_id(request)
    log.exception("unhandled error", path=request.url.path, request_id=rid)
    return page_or_problem(
        request,
        problem_response(
            status=HTTP_500_INTERNAL_SERVER_ERROR,
            slug="internal",
            title="Internal server error",
            detail=f"Something went wrong on our side; quote request id {rid}." if rid else None,
            instance=request.url.path,
        ),
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DaikoError: daiko_error_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "Conflict",
    "DaikoError",
    "Forbidden",
    "InvalidInput",
    "MediaType",
    "NotAuthenticated",
    "NotFound",
    "ServiceUnavailable",
    "TooManyRequests",
    "problem_response",
    "problem_type",
]
