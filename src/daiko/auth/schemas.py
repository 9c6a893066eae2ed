"""Shapes of the sign-in and partner API (msgspec structs)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str = msgspec.field()
    password: str = msgspec.field()


class SignInOut(msgspec.Struct):
    """`mfa_pending`: the session grants nothing until `/api/v1/auth/mfa/verify` (or, when
    `mfa_enrolled` is false, enrolment) succeeds."""

    mfa_pending: bool
    mfa_enrolled: bool
    csrf_token: str


class CodeIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str | None = None
    recovery_code: str | None = None


class EnrolmentOut(msgspec.Struct):
    secret: str
    otpauth_uri: str


class EnrolmentConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str


class RecoveryCodesOut(msgspec.Struct):
    recovery_codes: list[str]
    csrf_token: str | None = None


class TenantRole(msgspec.Struct):
    tenant_id: uuid.UUID
    role: str
    scopes: list[str] | None = None


class MeOut(msgspec.Struct):
    kind: str
    tenants: list[TenantRole]
    user_id: uuid.UUID | None = None
    email: str | None = None
    display_name: str | None = None
    user_kind: str | None = None
    platform_role: str | None = None
    mfa_verified: bool | None = None
    csrf_token: str | None = None
    client_id: str | None = None


class SignedOutOut(msgspec.Struct):
    sessions_revoked: int


class ResetRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str


class ResetConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    token: str
    password: str


class PartnerClientOut(msgspec.Struct):
    client_id: str
    name: str
    allowed_scopes: list[str]


class GrantIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: str
    scopes: list[str]


class GrantOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    client_id: str
    client_name: str
    scopes: list[str]
    granted_by: uuid.UUID | None
    created_at: datetime
    revoked_at: datetime | None
