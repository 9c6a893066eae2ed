"""Sign-in pages (server-rendered): password, second factor, enrolment, reset, sign-out,
and the OIDC redirect endpoints. Form posts carry `csrf_token` (see `daiko.auth.csrf`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth import csrf, oidc, service
from daiko.auth.api import NO_STORE, client_ip, session_of
from daiko.auth.cookies import (
    clear_session_cookie,
    set_prelogin_csrf_cookie,
    set_session_cookie,
)
from daiko.auth.errors import OidcFailed
from daiko.auth.events import auth_event
from daiko.auth.policy import Action, allows, require_principal
from daiko.errors import DaikoError, InvalidInput, NotAuthenticated
from daiko.runtime import Runtime
from daiko.tenancy.models import User
from daiko.web import forms
from daiko.web.flash import flash
from daiko.web.forms import FieldErrors
from daiko.web.i18n import COOKIE as LANG_COOKIE
from daiko.web.i18n import gettext
from daiko.web.shell import render, safe_next
from daiko.web.vocabulary import AUTH_ERROR_TITLES, PASSWORD_POLICY_LABELS

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


def error_text(exc: DaikoError) -> str:
    """The refusal in the page's language: sign-in errors by their stable title; a
    password refused by the policy by its first reason."""
    if exc.errors and exc.errors[0].get("code"):
        first = exc.errors[0]
        return _policy_message(str(first.get("code", "")), str(first.get("reason", "")))
    retry = exc.headers.get("Retry-After")
    if retry and retry.isdigit():
        minutes = max(1, -(-int(retry) // 60))
        return gettext(
            "Too many failed sign-in attempts. Try again in %(minutes)s minutes.",
            minutes=minutes,
        )
    if exc.detail in AUTH_ERROR_TITLES:
        return gettext(exc.detail)
    message = exc.extra.get("message")
    if isinstance(message, str):  # a catalog message with its variables beside it
        values = {k: v for k, v in exc.extra.items() if k != "message"}
        return gettext(message, **values)
    if exc.title in AUTH_ERROR_TITLES:
        return gettext(exc.title)
    return exc.detail


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
                "error": error_text(exc),
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
            {"error": error_text(exc)},
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
            {"heading": gettext(exc.title), "error": error_text(exc)},
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
                "error": error_text(exc),
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
        {
            "sent": True,
            "notice": gettext("If the address has an account, a reset link is on its way."),
        },
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
            {
                "token": token,
                "done": False,
                "error": error_text(exc),
                "errors": [
                    {"reason": _policy_message(str(e.get("code", "")), str(e.get("reason", "")))}
                    for e in exc.errors
                ],
            },
            status=exc.status,
        )
    return _page(
        request,
        runtime,
        "reset_confirm.html",
        {"done": True, "notice": gettext("Your password has been changed. Sign in with it now.")},
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
            {"heading": gettext(exc.title), "error": error_text(exc)},
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


# --------------------------------------------------------------------------- personal settings


def _policy_message(code: str, fallback: str) -> str:
    label = PASSWORD_POLICY_LABELS.get(code)
    return gettext(label) if label else fallback


async def _settings_page(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    *,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> Template:
    principal = require_principal(request)
    user = await db_session.get(User, principal.user_id)
    if user is None:
        raise NotAuthenticated()
    admin_of = [
        t for t in principal.scope.tenant_ids if allows(principal, Action.MEMBERS_MANAGE, t)
    ]
    return render(
        request,
        "settings/personal.html",
        {
            "user": user,
            "has_password": user.password_hash is not None,
            "mfa_on": user.totp_enabled_at is not None,
            "values": {"locale": user.locale or ""},
            "errors": errors or FieldErrors(),
            "is_admin": bool(admin_of),
            "may_grant": allows(principal, Action.PARTNERS_GRANT),
        },
        status_code=status,
    )


@get("/settings", include_in_schema=False, opt={"action": Action.SELF, "page": True})
async def settings_page(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    """Your language, password and second factor (and, for administrators, links to the
    company's users, partner access and settings)."""
    return await _settings_page(request, db_session)


@post("/settings/language", include_in_schema=False, opt={"action": Action.SELF, "page": True})
async def save_language(
    request: Request[Any, Any, Any], db_session: AsyncSession
) -> Template | Redirect:
    """Remember your language (and switch to it now)."""
    principal = require_principal(request)
    form = await request.form()
    errors = FieldErrors()
    locale = forms.choice(errors, form, "locale", ("", "ja", "en"))
    if errors:
        return await _settings_page(request, db_session, errors=errors, status=422)
    user = await db_session.get(User, principal.user_id)
    assert user is not None
    user.locale = locale or None
    await db_session.flush()
    response = Redirect("/settings", status_code=HTTP_303_SEE_OTHER)
    if locale:
        response.cookies.append(
            Cookie(
                key=LANG_COOKIE,
                value=locale,
                max_age=365 * 24 * 3600,
                path="/",
                samesite="lax",
                httponly=True,
            )
        )
    else:
        response.cookies.append(Cookie(key=LANG_COOKIE, value="", max_age=0, path="/"))
    flash(request, response, "success", gettext("The settings were saved."))
    return response


@post("/settings/password", include_in_schema=False, opt={"action": Action.SELF, "page": True})
async def save_password(
    request: Request[Any, Any, Any], db_session: AsyncSession, runtime: Runtime
) -> Template | Redirect:
    """Change your password: your other sessions are signed out."""
    principal = require_principal(request)
    form = await request.form()
    errors = FieldErrors()
    current = str(form.get("current_password") or "")
    new = str(form.get("new_password") or "")
    if not current:
        errors.add("current_password", gettext("This field is required."))
    if not new:
        errors.add("new_password", gettext("This field is required."))
    elif new != str(form.get("confirm_password") or ""):
        errors.add("confirm_password", gettext("The two new passwords differ."))
    if not errors:
        assert principal.user_id is not None
        try:
            await service.change_password(
                runtime, principal.user_id, principal.session_id, current, new
            )
        except InvalidInput as exc:
            for e in exc.errors:
                if e.get("field") == "current_password":
                    errors.add("current_password", gettext("This is not your current password."))
                else:
                    reason = _policy_message(str(e.get("code", "")), str(e.get("reason", "")))
                    errors.add("new_password", reason)
    if errors:
        return await _settings_page(request, db_session, errors=errors, status=422)
    response = Redirect("/settings", status_code=HTTP_303_SEE_OTHER)
    flash(request, response, "success", gettext("Your password was changed."))
    return response


routes = [
    settings_page,
    save_language,
    save_password,
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
