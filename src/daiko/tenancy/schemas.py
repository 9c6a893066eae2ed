"""API shapes of the tenancy domain (msgspec structs)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from daiko.tenancy.models import Membership, OperatorAssignment, Tenant, User

ClientRole = Literal["client_admin", "client_member", "client_viewer"]
OperatorRole = Literal["operator", "lead"]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class TenantOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    slug: str
    name: str
    name_kana: str
    corporate_number: str
    prefecture: str
    services: list[str]
    locale: str
    time_zone: str
    status: str
    require_mfa: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, t: Tenant) -> TenantOut:
        return cls(
            id=t.id,
            slug=t.slug,
            name=t.name,
            name_kana=t.name_kana,
            corporate_number=t.corporate_number,
            prefecture=t.prefecture,
            services=list(t.services),
            locale=t.locale,
            time_zone=t.time_zone,
            status=t.status,
            require_mfa=t.require_mfa,
            created_at=t.created_at,
            updated_at=t.updated_at,
        )


class MemberOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    display_name: str
    role: str
    created_at: datetime

    @classmethod
    def of(cls, m: Membership, u: User) -> MemberOut:
        return cls(
            id=m.id,
            tenant_id=m.tenant_id,
            user_id=u.id,
            email=u.email,
            display_name=u.display_name,
            role=m.role,
            created_at=m.created_at,
        )


class MemberCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    role: ClientRole
    display_name: Name | None = None


class MemberUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: ClientRole


class AssignmentOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    display_name: str
    role: str
    created_at: datetime

    @classmethod
    def of(cls, a: OperatorAssignment, u: User) -> AssignmentOut:
        return cls(
            id=a.id,
            tenant_id=a.tenant_id,
            user_id=u.id,
            email=u.email,
            display_name=u.display_name,
            role=a.role,
            created_at=a.created_at,
        )


class AssignmentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    role: OperatorRole = "operator"
    display_name: Name | None = None


class AssignmentUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: OperatorRole


class OffboardRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    confirm_slug: str
    """The tenant's slug, typed again: offboarding deletes everything."""


class OffboardResult(msgspec.Struct, kw_only=True):
    tenant_id: uuid.UUID
    slug: str
    archive_key: str
    archive_size: int
    archive_sha256: str
    rows: dict[str, int]
    documents: int
    download_url: str
