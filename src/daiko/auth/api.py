"""Sign-in JSON API (people), OAuth2 endpoints (partners) and tenant partner grants."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any
from urllib.parse import unquote_plus

from litestar import Request, Response, delete, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit import service as audit
from daiko.auth import partners, service
from daiko.auth.clock import utcnow
from daiko.auth.cookies import clear_session_cookie, set_session_cookie
from daiko.auth.events import auth_event
from daiko.auth.keys import load_ring
from daiko.auth.models import PartnerClient, PartnerGrant, UserSession
from daiko.auth.policy import Action, authorize, request_principal
from daiko.auth.principal import Principal
from daiko.auth.schemas import (
    CodeIn,
    EnrolmentConfirmIn,
    EnrolmentOut,
    GrantIn,
    GrantOut,
    LoginIn,
    MeOut,
    PartnerClientOut,
    RecoveryCodesOut,
    ResetConfirmIn,
    ResetRequestIn,
    SignedOutOut,
    SignInOut,
    TenantRole,
)
from daiko.auth.tokens import SCOPES, UnknownScopeError
from daiko.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from daiko.runtime import Runtime

PUBLIC = {"public": True}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


def _state(request: Request[Any, Any, Any]) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


def session_of(request: Request[Any, Any, Any], *, allow_pending: bool) -> tuple[UserSession, str]:
    """The request's session row and cookie token; 401 without one (or, unless
    `allow_pending`, when it still waits for the second factor)."""
    state = _state(request)
    row = state.get("user_session")
    token = state.get("session_token")
    if not isinstance(row, UserSession) or not isinstance(token, str):
        raise NotAuthenticated(state.get("auth_error") or None)
    if state.get("mfa_pending") and not allow_pending:
        raise NotAuthenticated(state.get("auth_error") or None)
    return row, token


def signed_in(request: Request[Any, Any, Any]) -> Principal:
    principal = request_principal(request)
    if principal is None:
        raise NotAuthenticated(_state(request).get("auth_error") or None)
    return principal


# --- people ---------------------------------------------------------------------------


@post("/api/v1/auth/login", opt=PUBLIC, status_code=HTTP_200_OK, tags=["auth"])
async def login(
    request: Request[Any, Any, Any], runtime: Runtime, data: LoginIn
) -> Response[SignInOut]:
    """Sign in with e-mail and password. Sets the session cookie; when `mfa_pending`, the
    session only reaches the second-factor endpoints."""
    result = await service.password_sign_in(
        runtime,
        email=data.email,
        password=data.password,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        previous_token=_state(request).get("session_token"),
    )
    response = Response(
        SignInOut(
            mfa_pending=result.mfa_pending,
            mfa_enrolled=result.mfa_enrolled,
            csrf_token=result.session.row.csrf_token,
        ),
        headers=NO_STORE,
    )
    set_session_cookie(response, runtime.settings, result.session.token)
    return response


@post("/api/v1/auth/mfa/verify", opt=PUBLIC, status_code=HTTP_200_OK, tags=["auth"])
async def mfa_verify(
    request: Request[Any, Any, Any], runtime: Runtime, data: CodeIn
) -> Response[SignInOut]:
    """Second factor: a TOTP code or a recovery code. Replaces the session (new id)."""
    row, token = session_of(request, allow_pending=True)
    if not data.code and not data.recovery_code:
        raise InvalidInput.field("code", "give a code or a recovery_code")
    new = await service.verify_second_factor(
        runtime,
        row,
        code=data.code,
        recovery_code=data.recovery_code,
        previous_token=token,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    response = Response(
        SignInOut(mfa_pending=False, mfa_enrolled=True, csrf_token=new.row.csrf_token),
        headers=NO_STORE,
    )
    set_session_cookie(response, runtime.settings, new.token)
    return response


@post("/api/v1/auth/mfa/enrolment", opt=PUBLIC, status_code=HTTP_200_OK, tags=["auth"])
async def mfa_enrolment(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any]:
    """Start TOTP enrolment: the secret, as an `otpauth://` URI for the QR code."""
    row, _ = session_of(request, allow_pending=True)
    enrolment = await service.begin_enrolment(runtime, row.user_id)
    return Response(EnrolmentOut(enrolment.secret, enrolment.otpauth_uri), headers=NO_STORE)


@post("/api/v1/auth/mfa/enrolment/confirm", opt=PUBLIC, status_code=HTTP_200_OK, tags=["auth"])
async def mfa_enrolment_confirm(
    request: Request[Any, Any, Any], runtime: Runtime, data: EnrolmentConfirmIn
) -> Response[RecoveryCodesOut]:
    """Confirm enrolment with a first code; answers the recovery codes, shown once."""
    row, token = session_of(request, allow_pending=True)
    new, codes = await service.confirm_enrolment(
        runtime,
        row,
        data.code,
        previous_token=token,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    response = Response(RecoveryCodesOut(codes, new.row.csrf_token), headers=NO_STORE)
    set_session_cookie(response, runtime.settings, new.token)
    return response


@post(
    "/api/v1/auth/mfa/recovery-codes",
    opt={"action": Action.SELF},
    status_code=HTTP_200_OK,
    tags=["auth"],
)
async def recovery_codes(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any]:
    """New recovery codes (the old ones stop working)."""
    row, _ = session_of(request, allow_pending=False)
    codes = await service.regenerate_recovery_codes(runtime, row.user_id)
    return Response(RecoveryCodesOut(codes), headers=NO_STORE)


@post("/api/v1/auth/logout", opt=PUBLIC, status_code=HTTP_200_OK, tags=["auth"])
async def logout(request: Request[Any, Any, Any], runtime: Runtime) -> Response[SignedOutOut]:
    """End this session."""
    row, _ = session_of(request, allow_pending=True)
    await service.sign_out(runtime, row.id)
    auth_event("signed out", user_id=row.user_id)
    response = Response(SignedOutOut(1))
    clear_session_cookie(response, runtime.settings)
    return response


@post(
    "/api/v1/auth/logout-everywhere",
    opt={"action": Action.SELF},
    status_code=HTTP_200_OK,
    tags=["auth"],
)
async def logout_everywhere(
    request: Request[Any, Any, Any], runtime: Runtime
) -> Response[SignedOutOut]:
    """End every session of the signed-in user, on every device."""
    row, _ = session_of(request, allow_pending=False)
    count = await service.sign_out_everywhere(runtime, row.user_id)
    response = Response(SignedOutOut(count))
    clear_session_cookie(response, runtime.settings)
    return response


@get("/api/v1/auth/me", opt={"action": Action.SELF}, tags=["auth"])
async def me(request: Request[Any, Any, Any]) -> Response[MeOut]:
    """Who is signed in (a person or a partner client), and where they may act."""
    principal = signed_in(request)
    if principal.kind == "partner":
        tenants = [
            TenantRole(t, "partner", sorted(principal.scopes_in(t)))
            for t in sorted(principal.scope.tenant_ids)
        ]
        return Response(MeOut(kind="partner", tenants=tenants, client_id=principal.client_id))
    row = _state(request).get("user_session")
    return Response(
        MeOut(
            kind="user",
            tenants=[TenantRole(t, r) for t, r in sorted(principal.roles.items())],
            user_id=principal.user_id,
            email=principal.email,
            display_name=principal.display_name,
            user_kind=principal.user_kind,
            platform_role=principal.platform_role,
            mfa_verified=principal.mfa_verified,
            csrf_token=row.csrf_token if isinstance(row, UserSession) else None,
        ),
        headers=NO_STORE,
    )


@post("/api/v1/auth/password-reset", opt=PUBLIC, status_code=HTTP_202_ACCEPTED, tags=["auth"])
async def password_reset(
    request: Request[Any, Any, Any], runtime: Runtime, data: ResetRequestIn
) -> dict[str, str]:
    """Mail a reset link if the address has an account. The answer is the same either way."""
    await service.request_password_reset(runtime, data.email, client_ip(request))
    return {"detail": "If the address has an account, a reset link is on its way."}


@post("/api/v1/auth/password-reset/confirm", opt=PUBLIC, status_code=HTTP_200_OK, tags=["auth"])
async def password_reset_confirm(runtime: Runtime, data: ResetConfirmIn) -> dict[str, str]:
    """Set a new password with the mailed token; every session of the account ends."""
    await service.complete_password_reset(runtime, data.token, data.password)
    return {"detail": "Your password has been changed. Sign in with it now."}


# --- OAuth2 (partners) ------------------------------------------------------------------


def oauth_error(error: str, description: str, status: int = 400) -> Response[dict[str, str]]:
    """RFC 6749 §5.2 error body (not problem+json: OAuth clients expect this shape)."""
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="daiko"'
    return Response(
        {"error": error, "error_description": description},
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


def _client_credentials(
    request: Request[Any, Any, Any], form: dict[str, str]
) -> tuple[str, str] | Response[dict[str, str]]:
    header = request.headers.get("authorization")
    in_form = "client_secret" in form
    if header:
        if in_form:
            return oauth_error("invalid_request", "use one client authentication method")
        kind, _, value = header.partition(" ")
        if kind.lower() != "basic":
            return oauth_error("invalid_client", "client authentication failed", 401)
        try:
            raw = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return oauth_error("invalid_client", "client authentication failed", 401)
        client_id, sep, secret = raw.partition(":")
        if not sep:
            return oauth_error("invalid_client", "client authentication failed", 401)
        return unquote_plus(client_id), unquote_plus(secret)
    if in_form and form.get("client_id"):
        return form["client_id"], form["client_secret"]
    return oauth_error("invalid_client", "client authentication failed", 401)


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


@post("/oauth/token", opt=PUBLIC, status_code=HTTP_200_OK, tags=["oauth"])
async def token(request: Request[Any, Any, Any], runtime: Runtime) -> Response[dict[str, Any]]:
    """OAuth 2.0 client credentials grant (RFC 6749 §4.4). Client authentication by HTTP
    Basic or `client_id`/`client_secret` form fields."""
    form = await _form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        return oauth_error("invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        return oauth_error("unsupported_grant_type", "only client_credentials is supported")
    creds = _client_credentials(request, form)
    if isinstance(creds, Response):
        auth_event("token request refused", reason="client_auth")
        return creds
    now = utcnow(runtime)
    async with runtime.db.global_session() as session:
        client = await partners.authenticate_client(session, *creds)
        if client is None:
            auth_event("token request refused", reason="client_auth")
            return oauth_error("invalid_client", "client authentication failed", 401)
        try:
            issued = await partners.issue_token(
                session,
                runtime.settings,
                client,
                partners.requested_scopes(form.get("scope")),
                now,
            )
        except (UnknownScopeError, PermissionError):
            auth_event("token request refused", reason="scope", client_id=client.client_id)
            return oauth_error("invalid_scope", "the requested scope is not allowed")
    return Response(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        },
        headers=NO_STORE,
    )


@post("/oauth/revoke", opt=PUBLIC, status_code=HTTP_200_OK, tags=["oauth"])
async def revoke(request: Request[Any, Any, Any], runtime: Runtime) -> Response[Any]:
    """Token revocation (RFC 7009): revoke one of the calling client's access tokens."""
    form = await _form(request)
    creds = _client_credentials(request, form)
    if isinstance(creds, Response):
        return creds
    if not form.get("token"):
        return oauth_error("invalid_request", "token is required")
    now = utcnow(runtime)
    async with runtime.db.global_session() as session:
        client = await partners.authenticate_client(session, *creds)
        if client is None:
            return oauth_error("invalid_client", "client authentication failed", 401)
        await partners.revoke_token(session, runtime.settings, client, form["token"], now)
    return Response(b"", headers=NO_STORE, media_type="application/json")


@get("/.well-known/jwks.json", opt=PUBLIC, tags=["oauth"])
async def jwks(runtime: Runtime) -> Response[dict[str, Any]]:
    """Public keys that verify Daiko access tokens (ES256)."""
    async with runtime.db.global_session() as session:
        ring = await load_ring(session, runtime.settings, utcnow(runtime))
    return Response(ring.jwks(), headers={"Cache-Control": "public, max-age=300"})


# --- partner grants (tenant admins) -----------------------------------------------------


def _in_tenant(request: Request[Any, Any, Any], tenant_id: uuid.UUID, action: Action) -> Principal:
    """Another tenant is a 404 (its existence does not leak); a weak role a 403."""
    principal = signed_in(request)
    if tenant_id not in principal.scope:
        raise NotFound("no such tenant")
    return authorize(principal, action, tenant_id)


@get("/api/v1/partner-clients", opt={"action": Action.PARTNERS_GRANT}, tags=["partners"])
async def list_partner_clients(db_session: AsyncSession) -> list[PartnerClientOut]:
    """Partner integrations a tenant admin may grant access to."""
    rows = (
        await db_session.execute(
            select(PartnerClient).where(PartnerClient.active.is_(True)).order_by(PartnerClient.name)
        )
    ).scalars()
    return [PartnerClientOut(r.client_id, r.name, sorted(r.allowed_scopes)) for r in rows]


def _grant_out(grant: PartnerGrant, name: str) -> GrantOut:
    return GrantOut(
        id=grant.id,
        tenant_id=grant.tenant_id,
        client_id=grant.client_id,
        client_name=name,
        scopes=sorted(grant.scopes),
        granted_by=grant.granted_by,
        created_at=grant.created_at,
        revoked_at=grant.revoked_at,
    )


GRANTS = "/api/v1/tenants/{tenant_id:uuid}/partner-grants"


@get(GRANTS, opt={"action": Action.PARTNERS_GRANT}, tags=["partners"])
async def list_grants(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: FromPath[uuid.UUID]
) -> list[GrantOut]:
    """Partner clients this tenant has granted access to (revoked ones included)."""
    _in_tenant(request, tenant_id, Action.PARTNERS_GRANT)
    rows = (
        await db_session.execute(
            select(PartnerGrant, PartnerClient.name)
            .join(PartnerClient, PartnerClient.client_id == PartnerGrant.client_id)
            .where(PartnerGrant.tenant_id == tenant_id)
            .order_by(PartnerGrant.created_at.desc())
        )
    ).all()
    return [_grant_out(g, name) for g, name in rows]


@post(
    GRANTS, opt={"action": Action.PARTNERS_GRANT}, status_code=HTTP_201_CREATED, tags=["partners"]
)
async def create_grant(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    tenant_id: FromPath[uuid.UUID],
    data: GrantIn,
) -> GrantOut:
    """Grant a partner client access to this tenant with some of its scopes."""
    principal = _in_tenant(request, tenant_id, Action.PARTNERS_GRANT)
    client = (
        await db_session.execute(
            select(PartnerClient).where(
                PartnerClient.client_id == data.client_id, PartnerClient.active.is_(True)
            )
        )
    ).scalar_one_or_none()
    if client is None:
        raise InvalidInput.field("client_id", "no such partner client")
    scopes = set(data.scopes)
    if not scopes:
        raise InvalidInput.field("scopes", "grant at least one scope")
    if scopes - SCOPES:
        raise InvalidInput.field("scopes", f"unknown: {' '.join(sorted(scopes - SCOPES))}")
    beyond = scopes - set(client.allowed_scopes)
    if beyond:
        raise InvalidInput.field(
            "scopes", f"this partner may not request: {' '.join(sorted(beyond))}"
        )
    grant = PartnerGrant(
        tenant_id=tenant_id,
        client_id=client.client_id,
        scopes=sorted(scopes),
        granted_by=principal.user_id,
    )
    db_session.add(grant)
    try:
        async with db_session.begin_nested():
            await db_session.flush()
    except IntegrityError:
        raise Conflict("this partner already has a live grant; revoke it first") from None
    await db_session.refresh(grant)
    await audit.record(
        db_session,
        tenant_id=tenant_id,
        actor=principal,
        action="partner_grant.created",
        resource_type="partner_grant",
        resource_id=grant.id,
        details={"client_id": client.client_id, "scopes": sorted(scopes)},
    )
    auth_event(
        "partner grant created",
        tenant_id=tenant_id,
        client_id=client.client_id,
        scopes=" ".join(sorted(scopes)),
        user_id=principal.user_id,
    )
    return _grant_out(grant, client.name)


@delete(
    GRANTS + "/{grant_id:uuid}",
    opt={"action": Action.PARTNERS_GRANT},
    tags=["partners"],
)
async def revoke_grant(
    request: Request[Any, Any, Any],
    runtime: Runtime,
    db_session: AsyncSession,
    tenant_id: FromPath[uuid.UUID],
    grant_id: FromPath[uuid.UUID],
) -> None:
    """Revoke a grant; the partner's tokens stop reaching this tenant at once."""
    principal = _in_tenant(request, tenant_id, Action.PARTNERS_GRANT)
    grant = (
        await db_session.execute(
            select(PartnerGrant).where(
                PartnerGrant.tenant_id == tenant_id, PartnerGrant.id == grant_id
            )
        )
    ).scalar_one_or_none()
    if grant is None:
        raise NotFound("no such grant")
    if grant.revoked_at is None:
        grant.revoked_at = utcnow(runtime)
        grant.revoked_by = principal.user_id
        await db_session.flush()
        await audit.record(
            db_session,
            tenant_id=tenant_id,
            actor=principal,
            action="partner_grant.revoked",
            resource_type="partner_grant",
            resource_id=grant.id,
            details={"client_id": grant.client_id},
        )
        auth_event(
            "partner grant revoked",
            tenant_id=tenant_id,
            client_id=grant.client_id,
            user_id=principal.user_id,
        )


routes = [
    login,
    mfa_verify,
    mfa_enrolment,
    mfa_enrolment_confirm,
    recovery_codes,
    logout,
    logout_everywhere,
    me,
    password_reset,
    password_reset_confirm,
    token,
    revoke,
    jwks,
    list_partner_clients,
    list_grants,
    create_grant,
    revoke_grant,
]
