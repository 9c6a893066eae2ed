"""People's sign-in rules: password, second factor, sessions, password reset.

Handlers (JSON in `api.py`, pages in `web.py`) call these and only translate results
to responses. Sign-in runs in several short transactions on purpose: a failed attempt
must still count against the throttle although the request's answer is an error.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
import structlog
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth import throttle, totp
from daiko.auth.clock import utcnow
from daiko.auth.errors import (
    InvalidCode,
    InvalidCredentials,
    InvalidResetToken,
    MfaAlreadyEnrolled,
    MfaNotEnrolled,
    PasswordSignInDisabled,
)
from daiko.auth.events import audit_user_event, auth_event
from daiko.auth.models import PasswordReset, UserSession
from daiko.auth.passwords import (
    check_password_policy,
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from daiko.auth.sessions import NewSession, create_session, hash_token, revoke_all_sessions
from daiko.config import Settings
from daiko.errors import InvalidInput
from daiko.mail import Mail, send_mail
from daiko.runtime import Runtime
from daiko.tenancy.models import Tenant, User

log = structlog.get_logger(__name__)

RESET_TTL = timedelta(minutes=30)
#: RFC 8176 `amr` values that mean the identity provider already checked a second factor.
MFA_AMR = frozenset({"mfa", "otp", "hwk", "swk", "sc"})

_TENANTS_OF_USER = text("select tenant_id from daiko_principal_tenant_ids(:user_id)")


@dataclass(frozen=True)
class SignIn:
    """A new session; `mfa_pending` means it grants nothing until the second factor."""

    session: NewSession
    user: User
    mfa_pending: bool
    mfa_enrolled: bool


async def user_tenant_ids(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    return list((await session.execute(_TENANTS_OF_USER, {"user_id": user_id})).scalars())


async def mfa_required(
    session: AsyncSession, user: User, tenant_ids: list[uuid.UUID] | None = None
) -> bool:
    """Operators always; anyone who enrolled TOTP; client users of a tenant that
    requires it."""
    if user.kind == "operator" or user.totp_enabled_at is not None:
        return True
    ids = tenant_ids if tenant_ids is not None else await user_tenant_ids(session, user.id)
    if not ids:
        return False
    found = await session.execute(
        select(Tenant.id).where(Tenant.id.in_(ids), Tenant.require_mfa.is_(True)).limit(1)
    )
    return found.first() is not None


async def oidc_required_tenant(session: AsyncSession, tenant_ids: list[uuid.UUID]) -> Tenant | None:
    """The tenant (if any) whose YAML says its users sign in through its own IdP."""
    if not tenant_ids:
        return None
    rows = (await session.execute(select(Tenant).where(Tenant.id.in_(tenant_ids)))).scalars()
    for tenant in rows:
        oidc: Any = (tenant.settings or {}).get("oidc")
        if isinstance(oidc, dict) and oidc.get("required") is True:
            return tenant
    return None


async def _find_user(session: AsyncSession, email: str) -> User | None:
    return (
        await session.execute(select(User).where(func.lower(User.email) == email.strip().lower()))
    ).scalar_one_or_none()


async def start_session(
    session: AsyncSession,
    user: User,
    *,
    mfa_verified: bool,
    previous_token: str | None,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> NewSession:
    """A new session id at every privilege change; the one presented before is revoked,
    so an id planted in the browser before sign-in never becomes a signed-in one."""
    if previous_token:
        await session.execute(
            update(UserSession)
            .where(UserSession.id == hash_token(previous_token), UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return await create_session(
        session, user.id, mfa_verified=mfa_verified, ip=ip, user_agent=user_agent, now=now
    )


async def password_sign_in(
    runtime: Runtime,
    *,
    email: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
    previous_token: str | None,
) -> SignIn:
    now = utcnow(runtime)
    limits = [throttle.account_limit(email), throttle.address_limit(ip)]
    await throttle.check(runtime, limits, now)
    async with runtime.db.global_session() as session:
        user = await _find_user(session, email)
    if user is None or not user.is_active or user.password_hash is None:
        # Same argon2 cost as a real check: the time taken does not say which it was.
        await anyio.to_thread.run_sync(dummy_verify, password)
        ok = False
    else:
        ok = await anyio.to_thread.run_sync(verify_password, user.password_hash, password)
    if not ok or user is None:
        await throttle.record_failure(runtime, limits, now)
        auth_event("sign-in failed", user_id=user.id if user else None, ip=ip)
        if user is not None:
            await audit_user_event(runtime, user.id, "user.sign_in_failed", ip=ip)
        raise InvalidCredentials()
    await throttle.clear(runtime, limits[:1])
    async with runtime.db.global_session() as session:
        user = await session.get_one(User, user.id)
        tenant_ids = await user_tenant_ids(session, user.id)
        idp_tenant = await oidc_required_tenant(session, tenant_ids)
        if idp_tenant is not None:
            auth_event("password sign-in refused: oidc required", user_id=user.id)
            raise PasswordSignInDisabled(
                f"Sign in through {idp_tenant.name}'s identity provider.",
                extra={"sign_in_url": f"/auth/oidc/start?tenant={idp_tenant.slug}"},
            )
        assert user.password_hash is not None
        if needs_rehash(user.password_hash):
            user.password_hash = await anyio.to_thread.run_sync(hash_password, password)
        required = await mfa_required(session, user, tenant_ids)
        new = await start_session(
            session,
            user,
            mfa_verified=False,
            previous_token=previous_token,
            ip=ip,
            user_agent=user_agent,
            now=now,
        )
    auth_event("signed in", user_id=user.id, method="password", mfa_pending=required, ip=ip)
    await audit_user_event(
        runtime, user.id, "user.signed_in", method="password", mfa_pending=required, ip=ip
    )
    return SignIn(new, user, required, user.totp_enabled_at is not None)


async def external_sign_in(
    runtime: Runtime,
    user: User,
    *,
    mfa_done: bool,
    previous_token: str | None,
    ip: str | None,
    user_agent: str | None,
    method: str,
) -> SignIn:
    """A session for a user an identity provider vouched for (OIDC)."""
    now = utcnow(runtime)
    async with runtime.db.global_session() as session:
        user = await session.get_one(User, user.id)
        required = await mfa_required(session, user)
        new = await start_session(
            session,
            user,
            mfa_verified=mfa_done,
            previous_token=previous_token,
            ip=ip,
            user_agent=user_agent,
            now=now,
        )
    pending = required and not mfa_done
    auth_event("signed in", user_id=user.id, method=method, mfa_pending=pending, ip=ip)
    return SignIn(new, user, pending, user.totp_enabled_at is not None)


# --- second factor ---------------------------------------------------------------------


async def verify_second_factor(
    runtime: Runtime,
    row: UserSession,
    *,
    code: str | None,
    recovery_code: str | None,
    previous_token: str,
    ip: str | None,
    user_agent: str | None,
) -> NewSession:
    """Check a TOTP or recovery code for a pending session; on success the session is
    replaced by a fully signed-in one (new id)."""
    now = utcnow(runtime)
    limits = [throttle.mfa_limit(row.user_id)]
    await throttle.check(runtime, limits, now)
    async with runtime.db.global_session() as session:
        user = (
            await session.execute(select(User).where(User.id == row.user_id).with_for_update())
        ).scalar_one()
        if user.totp_secret is None or user.totp_enabled_at is None:
            raise MfaNotEnrolled("Enrol an authenticator app first.")
        method: str | None = None
        if code:
            step = totp.verify(user.totp_secret, code, at=now, last_used_step=user.totp_last_step)
            if step is not None:
                user.totp_last_step = step
                method = "totp"
        elif recovery_code:
            hashes = list(user.recovery_code_hashes)
            index = totp.match_recovery_code(recovery_code, hashes)
            if index is not None:
                del hashes[index]
                user.recovery_code_hashes = hashes
                method = "recovery_code"
        if method is not None:
            new = await start_session(
                session,
                user,
                mfa_verified=True,
                previous_token=previous_token,
                ip=ip,
                user_agent=user_agent,
                now=now,
            )
    if method is None:
        await throttle.record_failure(runtime, limits, now)
        auth_event("second factor failed", user_id=row.user_id, ip=ip)
        await audit_user_event(runtime, row.user_id, "user.second_factor_failed", ip=ip)
        raise InvalidCode("The code is wrong, expired or already used.")
    await throttle.clear(runtime, limits)
    auth_event("second factor verified", user_id=row.user_id, method=method)
    await audit_user_event(runtime, row.user_id, "user.second_factor_verified", method=method)
    if method == "recovery_code":
        auth_event("recovery code used", user_id=row.user_id, remaining=len(hashes))
    return new


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str


async def begin_enrolment(runtime: Runtime, user_id: uuid.UUID) -> Enrolment:
    """A TOTP secret to scan. Kept until confirmed (a reload shows the same one)."""
    async with runtime.db.global_session() as session:
        user = await session.get_one(User, user_id)
        if user.totp_enabled_at is not None:
            raise MfaAlreadyEnrolled()
        if user.totp_secret is None:
            user.totp_secret = totp.new_secret()
        secret = user.totp_secret
        email = user.email
    return Enrolment(secret, totp.provisioning_uri(secret, email))


async def confirm_enrolment(
    runtime: Runtime,
    row: UserSession,
    code: str,
    *,
    previous_token: str,
    ip: str | None,
    user_agent: str | None,
) -> tuple[NewSession, list[str]]:
    """Turn TOTP on with a first valid code; returns the new session and the recovery
    codes (shown once)."""
    now = utcnow(runtime)
    async with runtime.db.global_session() as session:
        user = (
            await session.execute(select(User).where(User.id == row.user_id).with_for_update())
        ).scalar_one()
        if user.totp_enabled_at is not None:
            raise MfaAlreadyEnrolled()
        if user.totp_secret is None:
            raise MfaNotEnrolled("Start the enrolment first.")
        step = totp.verify(user.totp_secret, code, at=now, last_used_step=None)
        if step is None:
            raise InvalidCode("The code is wrong; check the time on your phone and try again.")
        codes = totp.new_recovery_codes()
        user.totp_enabled_at = now
        user.totp_last_step = step
        user.recovery_code_hashes = [totp.hash_recovery_code(c) for c in codes]
        new = await start_session(
            session,
            user,
            mfa_verified=True,
            previous_token=previous_token,
            ip=ip,
            user_agent=user_agent,
            now=now,
        )
    auth_event("mfa enrolled", user_id=row.user_id)
    await audit_user_event(runtime, row.user_id, "user.mfa_enrolled")
    return new, codes


async def regenerate_recovery_codes(runtime: Runtime, user_id: uuid.UUID) -> list[str]:
    async with runtime.db.global_session() as session:
        user = await session.get_one(User, user_id)
        if user.totp_enabled_at is None:
            raise MfaNotEnrolled()
        codes = totp.new_recovery_codes()
        user.recovery_code_hashes = [totp.hash_recovery_code(c) for c in codes]
    auth_event("recovery codes regenerated", user_id=user_id)
    return codes


# --- sign out ---------------------------------------------------------------------------


async def sign_out(runtime: Runtime, session_id: str) -> None:
    now = utcnow(runtime)
    async with runtime.db.global_session() as session:
        await session.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )


async def sign_out_everywhere(runtime: Runtime, user_id: uuid.UUID) -> int:
    async with runtime.db.global_session() as session:
        count = await revoke_all_sessions(session, user_id, now=utcnow(runtime))
    auth_event("signed out everywhere", user_id=user_id, sessions=count)
    await audit_user_event(runtime, user_id, "user.signed_out_everywhere", sessions=count)
    return count


# --- password reset ---------------------------------------------------------------------


def reset_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/auth/password-reset/confirm?token={token}"


async def create_reset_token(
    session: AsyncSession,
    user_id: uuid.UUID,
    now: datetime,
    ip: str | None = None,
    *,
    ttl: timedelta = RESET_TTL,
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=user_id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + ttl,
            ip=ip,
        )
    )
    await session.flush()
    return token


async def request_password_reset(runtime: Runtime, email: str, ip: str | None) -> None:
    """Mail a reset link when the address belongs to an active password user. The caller
    answers the same either way, so the form does not reveal who has an account."""
    now = utcnow(runtime)
    async with runtime.db.global_session() as session:
        user = await _find_user(session, email)
        if user is None or not user.is_active:
            auth_event("password reset for unknown address", ip=ip)
            return
        if await oidc_required_tenant(session, await user_tenant_ids(session, user.id)):
            auth_event("password reset refused: oidc required", user_id=user.id)
            return
        recent = (
            await session.execute(
                select(func.count())
                .select_from(PasswordReset)
                .where(PasswordReset.user_id == user.id, PasswordReset.created_at > now - RESET_TTL)
            )
        ).scalar_one()
        if recent >= 3:
            auth_event("password reset throttled", user_id=user.id)
            return
        token = await create_reset_token(session, user.id, now, ip)
        to = user.email
    link = reset_link(runtime.settings, token)
    body = (
        "パスワード再設定のご案内 / Password reset\n\n"
        "Someone (hopefully you) asked to reset the password of your Daiko account.\n"
        f"Open this link within {int(RESET_TTL.total_seconds() // 60)} minutes to choose"
        " a new one:\n\n"
        f"{link}\n\n"
        "If you did not ask for this, ignore this message; your password stays as it is.\n"
    )
    await send_mail(runtime.settings, Mail(to=to, subject="Daiko: reset your password", body=body))
    auth_event("password reset requested", user_id=user.id)
    if runtime.settings.smtp_url is None:
        # Development: no mail server, so the link is in the log (and the .eml file).
        auth_event("password reset link (dev mail)", link=link)


# --- invitations -------------------------------------------------------------------------

INVITE_TTL = timedelta(days=7)


async def invitation(
    session: AsyncSession, settings: Settings, user: User, tenant: Tenant, now: datetime
) -> Mail:
    """The mail telling `user` they were given access to `tenant`, to send once the
    membership is committed. Someone without a password (a new user) gets a link to
    choose one, valid for a week, unless the tenant signs its people in through its own
    IdP; everyone else is pointed at the sign-in page. The link's token is written in
    `session`, so it exists exactly when the membership does."""
    base = settings.base_url.rstrip("/")
    oidc: Any = (tenant.settings or {}).get("oidc")
    sso = isinstance(oidc, dict) and oidc.get("required") is True
    if user.password_hash is None and not sso:
        token = await create_reset_token(session, user.id, now, ttl=INVITE_TTL)
        days = INVITE_TTL.days
        action = (
            f"以下のリンクから{days}日以内にパスワードを設定してください。\n"
            f"Choose your password within {days} days:\n\n{reset_link(settings, token)}\n"
        )
    elif sso:
        action = (
            "会社のアカウント（シングルサインオン）でサインインしてください。\n"
            f"Sign in with your company account:\n\n{base}/auth/login\n"
        )
    else:
        action = (
            f"いつものパスワードでサインインできます。\nSign in as usual:\n\n{base}/auth/login\n"
        )
    body = (
        f"{tenant.name} の Daiko ポータルに招待されました。\n"
        f"You have been given access to {tenant.name} on Daiko.\n\n{action}"
    )
    auth_event("invitation prepared", user_id=user.id, tenant_id=tenant.id)
    return Mail(to=user.email, subject=f"Daiko: {tenant.name}", body=body)


async def send_invitation(settings: Settings, mail: Mail) -> None:
    """After commit (a response's background task): a failed mail is logged and never
    undoes the membership; the person can still ask for a password reset."""
    try:
        await send_mail(settings, mail)
    except Exception:
        log.exception("invitation not sent", to=mail.to)
        return
    if settings.smtp_url is None:
        auth_event("invitation (dev mail)", to=mail.to)


async def complete_password_reset(runtime: Runtime, token: str, new_password: str) -> None:
    now = utcnow(runtime)
    async with runtime.db.global_session() as session:
        reset = (
            await session.execute(
                select(PasswordReset)
                .where(
                    PasswordReset.token_hash == hash_token(token),
                    PasswordReset.used_at.is_(None),
                    PasswordReset.expires_at > now,
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        if reset is None:
            raise InvalidResetToken()
        user = await session.get_one(User, reset.user_id)
        violations = check_password_policy(
            new_password, email=user.email, names=[user.display_name]
        )
        if violations:
            raise InvalidInput(
                violations[0].message,
                errors=[
                    {"field": "password", "reason": v.message, "code": str(v.code)}
                    for v in violations
                ],
            )
        user.password_hash = await anyio.to_thread.run_sync(hash_password, new_password)
        user.password_changed_at = now
        # This link and every other outstanding one are spent.
        await session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
        await revoke_all_sessions(session, user.id, now=now)
        email = user.email
    await throttle.clear(runtime, [throttle.account_limit(email)])
    auth_event("password reset completed", user_id=reset.user_id)
    await audit_user_event(runtime, reset.user_id, "user.password_reset")


def token_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --------------------------------------------------------------------------- settings page


async def change_password(
    runtime: Runtime, user_id: uuid.UUID, keep_session_id: str | None, current: str, new: str
) -> None:
    """A signed-in person replaces their password: the current one must match; the new
    one passes the policy. Every other session of theirs is signed out. Raises
    InvalidInput naming `current_password` or `new_password`."""
    now = utcnow(runtime)
    async with runtime.db.global_session() as session:
        user = (
            await session.execute(select(User).where(User.id == user_id).with_for_update())
        ).scalar_one()
        ok = user.password_hash is not None and await anyio.to_thread.run_sync(
            verify_password, user.password_hash, current
        )
        if not ok:
            raise InvalidInput.field("current_password", "does not match your password")
        violations = check_password_policy(new, email=user.email, names=[user.display_name])
        if violations:
            raise InvalidInput(
                violations[0].message,
                errors=[
                    {"field": "new_password", "reason": v.message, "code": str(v.code)}
                    for v in violations
                ],
            )
        user.password_hash = await anyio.to_thread.run_sync(hash_password, new)
        user.password_changed_at = now
        others = update(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
        )
        if keep_session_id is not None:
            others = others.where(UserSession.id != keep_session_id)
        await session.execute(others.values(revoked_at=now))
    auth_event("password changed", user_id=user_id)
    await audit_user_event(runtime, user_id, "user.password_changed")
