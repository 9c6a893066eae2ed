"""Sign-in pages (server-rendered): password, second factor, enrolment, reset, sign-out,
and the OIDC redirect endpoints. Form posts carry `csrf_token` (see `daiko.auth.csrf`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from daiko.auth import csrf, oidc, service
from daiko.auth.api import NO_STORE, client_ip, session_of
from daiko.auth.cookies import (
    clear_session_cookie,
    set_prelogin_csrf_cookie,
    set_session_cookie,
)
from daiko.auth.errors import OidcFailed
from daiko.auth.events import auth_event
from daiko.errors import DaikoError, NotAuthenticated
from daiko.runtime import Runtime
from daiko.web.shell import safe_next

PAGE = {"public": True}


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _state(request: Request[Any, Any, Any]) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


def _page(
    request: Request[Any, Any, Any],
    runtime: Runtime,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    """A page; forms without a session get a double-submit CSRF token (cookie + field)."""
    row = _state(request).get("user_session")
    token: str | None = getattr(row, "csrf_token", None)
    new_cookie = None
    if token is None:
        token = request.cookies.get(csrf.PRELOGIN_COOKIE) or None
        if token is None:
            token = new_cookie = csrf.new_token()
    page = Template(
        template_name=f"auth/{name}",
        context={"csrf_token": token, **context},
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
    )
    if new_cookie is not None:
        set_prelogin_csrf_cookie(page, runtime.settings, new_cookie)
    return page


def _redirect(path: str) -> Redirect:
    return Redirect(path, status_code=HTTP_303_SEE_OTHER, headers=NO_STORE)


@get("/auth/login", opt=PAGE, include_in_schema=False)
async def login_page(request: Request[Any, Any, Any], runtime: Runtime) -> Template:
    return _page(
        request,
        runtime,
        "login.html",
        {
            "email": "",
            "next_url": safe_next(request.query_params.get("next")),
            "oidc_enabled": bool(runtime.settings.oidc_discovery_url),
        },
    )


@post("/auth/login", opt=PAGE, include_in_schema=False)
async def login_submit(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any]:
    form = await _form(request)
    next_url = safe_next(form.get("next"))
    try:
        result = await service.password_sign_in(
            runtime,
            email=form.get("email", ""),
            password=form.get("password", ""),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            previous_token=_state(request).get("session_token"),
        )
    except DaikoError as exc:
        return _page(
            request,
            runtime,
            "login.html",
            {
                "error": exc.detail,
                "email": form.get("email", ""),
                "next_url": next_url,
                "sign_in_url": exc.extra.get("sign_in_url"),
                "oidc_enabled": bool(runtime.settings.oidc_discovery_url),
            },
            status=exc.status,
            headers=exc.headers,
        )
    if not result.mfa_pending:
        target = next_url
    else:
        target = "/auth/mfa" if result.mfa_enrolled else "/auth/mfa/enroll"
    response = _redirect(target)
    set_session_cookie(response, runtime.settings, result.session.token)
    return response


def _pending_or_login(request: Request[Any, Any, Any]) -> Redirect | None:
    try:
        session_of(request, allow_pending=True)
    except NotAuthenticated:
        return _redirect("/auth/login")
    return None


@get("/auth/mfa", opt=PAGE, include_in_schema=False)
async def mfa_page(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any]:
    return _pending_or_login(request) or _page(request, runtime, "mfa.html", {})


@post("/auth/mfa", opt=PAGE, include_in_schema=False)
async def mfa_submit(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any]:
    if (gone := _pending_or_login(request)) is not None:
        return gone
    row, token = session_of(request, allow_pending=True)
    form = await _form(request)
    try:
        new = await service.verify_second_factor(
            runtime,
            row,
            code=form.get("code") or None,
            recovery_code=form.get("recovery_code") or None,
            previous_token=token,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    except DaikoError as exc:
        return _page(
            request,
            runtime,
            "mfa.html",
            {"error": exc.detail},
            status=exc.status,
            headers=exc.headers,
        )
    response = _redirect("/")
    set_session_cookie(response, runtime.settings, new.token)
    return response


@get("/auth/mfa/enroll", opt=PAGE, include_in_schema=False)
async def enroll_page(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any]:
    if (gone := _pending_or_login(request)) is not None:
        return gone
    row, _ = session_of(request, allow_pending=True)
    try:
        enrolment = await service.begin_enrolment(runtime, row.user_id)
    except DaikoError as exc:
        return _page(
            request,
            runtime,
            "message.html",
            {"heading": exc.title, "error": exc.detail},
            status=exc.status,
        )
    return _page(
        request,
        runtime,
        "enroll.html",
        {"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri},
    )


@post("/auth/mfa/enroll", opt=PAGE, include_in_schema=False)
async def enroll_submit(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any]:
    if (gone := _pending_or_login(request)) is not None:
        return gone
    row, token = session_of(request, allow_pending=True)
    form = await _form(request)
    try:
        new, codes = await service.confirm_enrolment(
            runtime,
            row,
            form.get("code", ""),
            previous_token=token,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    except DaikoError as exc:
        enrolment = await service.begin_enrolment(runtime, row.user_id)
        return _page(
            request,
            runtime,
            "enroll.html",
            {
                "error": exc.detail,
                "secret": enrolment.secret,
                "otpauth_uri": enrolment.otpauth_uri,
            },
            status=exc.status,
        )
    page = _page(request, runtime, "recovery_codes.html", {"codes": codes, "next_url": "/"})
    set_session_cookie(page, runtime.settings, new.token)
    return page


@post("/auth/logout", opt=PAGE, include_in_schema=False)
async def logout_submit(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any]:
    try:
        row, _ = session_of(request, allow_pending=True)
    except NotAuthenticated:
        return _redirect("/auth/login")
    await service.sign_out(runtime, row.id)
    auth_event("signed out", user_id=row.user_id)
    response = _redirect("/auth/login")
    clear_session_cookie(response, runtime.settings)
    return response


@post("/auth/logout-everywhere", opt=PAGE, include_in_schema=False)
async def logout_everywhere_submit(
    request: Request[Any, Any, Any], runtime: Runtime
) -> Response[Any]:
    try:
        row, _ = session_of(request, allow_pending=False)
    except NotAuthenticated:
        return _redirect("/auth/login")
    await service.sign_out_everywhere(runtime, row.user_id)
    response = _redirect("/auth/login")
    clear_session_cookie(response, runtime.settings)
    return response


@get("/auth/password-reset", opt=PAGE, include_in_schema=False)
async def reset_page(request: Request[Any, Any, Any], runtime: Runtime) -> Template:
    return _page(request, runtime, "reset_request.html", {"sent": False})


@post("/auth/password-reset", opt=PAGE, include_in_schema=False)
async def reset_submit(request: Request[Any, Any, Any], runtime: Runtime) -> Template:
    form = await _form(request)
    await service.request_password_reset(runtime, form.get("email", ""), client_ip(request))
    return _page(
        request,
        runtime,
        "reset_request.html",
        {"sent": True, "notice": "If the address has an account, a reset link is on its way."},
    )


@get("/auth/password-reset/confirm", opt=PAGE, include_in_schema=False)
async def reset_confirm_page(request: Request[Any, Any, Any], runtime: Runtime) -> Template:
    page = _page(
        request,
        runtime,
        "reset_confirm.html",
        {"token": request.query_params.get("token", ""), "done": False},
    )
    # The token is in this page's URL: never leak it to another site in a Referer.
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


@post("/auth/password-reset/confirm", opt=PAGE, include_in_schema=False)
async def reset_confirm_submit(request: Request[Any, Any, Any], runtime: Runtime) -> Template:
    form = await _form(request)
    token = form.get("token", "")
    try:
        await service.complete_password_reset(runtime, token, form.get("password", ""))
    except DaikoError as exc:
        return _page(
            request,
            runtime,
            "reset_confirm.html",
            {"token": token, "done": False, "error": exc.detail, "errors": exc.errors},
            status=exc.status,
        )
    return _page(
        request,
        runtime,
        "reset_confirm.html",
        {"done": True, "notice": "Your password has been changed. Sign in with it now."},
    )


@get("/auth/oidc/start", opt=PAGE, include_in_schema=False)
async def oidc_start(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any]:
    """Redirect to the identity provider (`?tenant=<slug>` for a tenant's own)."""
    provider = await oidc.provider_for(runtime, request.query_params.get("tenant"))
    url, state = await oidc.begin(runtime, provider, request.query_params.get("next"))
    response = Redirect(url, status_code=302, headers=NO_STORE)
    response.set_cookie(
        oidc.STATE_COOKIE,
        state,
        path="/auth/oidc",
        httponly=True,
        samesite="lax",
        secure=runtime.settings.secure_cookies,
        max_age=int(oidc.STATE_TTL.total_seconds()),
    )
    return response


@get("/auth/oidc/callback", opt=PAGE, include_in_schema=False)
async def oidc_callback(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any]:
    params = request.query_params
    try:
        if params.get("error"):
            raise OidcFailed(f"The identity provider said: {params.get('error')}")
        identity = await oidc.complete(
            runtime,
            state=params.get("state", ""),
            code=params.get("code", ""),
            bound_state=request.cookies.get(oidc.STATE_COOKIE),
        )
        result = await service.external_sign_in(
            runtime,
            identity.user,
            mfa_done=identity.mfa_done,
            previous_token=_state(request).get("session_token"),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            method=f"oidc:{identity.provider.key}",
        )
    except OidcFailed as exc:
        page = _page(
            request,
            runtime,
            "message.html",
            {"heading": exc.title, "error": exc.detail},
            status=exc.status,
        )
        page.delete_cookie(oidc.STATE_COOKIE, path="/auth/oidc")
        return page
    if result.mfa_pending:
        target = "/auth/mfa" if result.mfa_enrolled else "/auth/mfa/enroll"
    else:
        target = identity.next_url
    response = _redirect(target)
    set_session_cookie(response, runtime.settings, result.session.token)
    response.delete_cookie(oidc.STATE_COOKIE, path="/auth/oidc")
    return response


routes = [
    login_page,
    login_submit,
    mfa_page,
    mfa_submit,
    enroll_page,
    enroll_submit,
    logout_submit,
    logout_everywhere_submit,
    reset_page,
    reset_submit,
    reset_confirm_page,
    reset_confirm_submit,
    oidc_start,
    oidc_callback,
]
