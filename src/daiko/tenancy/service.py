"""Tenancy rules: tenants as code (apply / export), members, operator assignments, status.

Services only flush; the edge (CLI command, request, `load_demo`) owns the transaction.

Applying tenant files — what "idempotent" means here:

- A tenant is identified by its slug. Its profile columns are set from the file; the
  rest of the file (OIDC, SLA, calendar, payroll) is stored as JSON in `tenants.settings`.
- A person is identified by lower(email). Missing users are created (`users` → kind
  client, `operators` → kind operator); existing users are never edited (one identity
  spans tenants; two files could disagree on a display name).
- Memberships and operator assignments listed in the file are created, or their role
  changed to the file's. People *not* in the file are kept by default and reported as
  `kept`: client admins add colleagues in the portal and ops_admin assigns operators in
  the console, and a re-apply must not silently revoke that access. `prune=True`
  (`daiko tenants apply --prune`) removes them, making the file the whole truth.
- Everything runs in the caller's one transaction; memberships and assignments are
  written after re-scoping it to the tenant, so RLS vets every row.
"""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.principal import Principal
from daiko.errors import Conflict, InvalidInput
from daiko.ids import new_id
from daiko.tenancy import repository as repo
from daiko.tenancy.models import Membership, OperatorAssignment, Tenant, User
from daiko.tenancy.scope import NO_TENANTS, scope_of_tenant
from daiko.tenancy.spec import (
    CalendarSpec,
    OidcSpec,
    OperatorSpec,
    PayrollSpec,
    ServiceSla,
    TenantSpec,
    UserSpec,
)

ChangeKind = Literal["tenant", "user", "membership", "operator_assignment"]
ChangeAction = Literal["created", "updated", "unchanged", "kept", "removed"]

PROFILE_FIELDS = (
    "name",
    "name_kana",
    "corporate_number",
    "prefecture",
    "services",
    "locale",
    "time_zone",
    "status",
    "require_mfa",
)
SETTINGS_FIELDS = ("oidc", "sla", "calendar", "payroll")


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.field}: {_show(self.old)} → {_show(self.new)}"


@dataclass(frozen=True)
class Change:
    """One line of `daiko tenants apply`'s report."""

    kind: ChangeKind
    key: str
    """Slug for a tenant, e-mail for a person."""
    action: ChangeAction
    tenant: str | None = None
    fields: tuple[FieldChange, ...] = ()
    note: str | None = None

    def __str__(self) -> str:
        where = f" in {self.tenant}" if self.tenant and self.kind != "tenant" else ""
        head = f"{self.kind} {self.key}{where}: {self.action}"
        return head + (f" ({self.note})" if self.note else "")


class TenantApplyConflict(Exception):
    """The files are valid but clash with the database (e.g. an operator e-mail listed
    as a client user). Nothing is applied."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


# --------------------------------------------------------------------------- audit


@dataclass(frozen=True)
class Actor:
    """Who did it, for the audit trail: a signed-in person or the command line."""

    kind: Literal["user", "operator", "partner", "system"]
    id: str | None
    display: str | None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        if principal.kind == "partner":
            return cls("partner", principal.client_id, principal.client_id)
        kind: Literal["user", "operator"] = "operator" if principal.is_operator else "user"
        return cls(kind, str(principal.user_id), principal.email)

    @classmethod
    def cli(cls) -> Actor:
        return cls("system", f"cli:{getpass.getuser()}", "daiko CLI")


async def record_event(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    actor: Actor,
    action: str,
    *,
    resource_type: str = "tenant",
    resource_id: uuid.UUID | str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Audit a tenancy change in the caller's transaction (session in the tenant's scope):
    the event commits with the change or not at all."""
    from daiko.audit.chain import ActorRef
    from daiko.audit.service import record

    await record(
        session,
        tenant_id=tenant_id,
        actor=ActorRef(kind=actor.kind, id=actor.id, display=actor.display),
        action=action,
        resource_type=resource_type,
        resource_id=resource_id or tenant_id,
        details=details,
    )


# --------------------------------------------------------------------------- spec <-> row


def profile_of(spec: TenantSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "name_kana": spec.name_kana,
        "corporate_number": spec.corporate_number,
        "prefecture": spec.prefecture,
        "services": list(spec.services),
        "locale": spec.locale,
        "time_zone": spec.time_zone,
        "status": spec.status,
        "require_mfa": spec.require_mfa,
    }


def settings_of(spec: TenantSpec) -> dict[str, Any]:
    """The part of the file without columns of its own, as JSON-ready builtins."""
    built: dict[str, Any] = msgspec.json.decode(
        msgspec.json.encode({name: getattr(spec, name) for name in SETTINGS_FIELDS})
    )
    return built


def spec_of(tenant: Tenant, people: Iterable[UserSpec | OperatorSpec] = ()) -> TenantSpec:
    """The tenant row (and the people given) as a `TenantSpec`: what `export` writes."""
    settings = tenant.settings or {}
    listed = list(people)
    return TenantSpec(
        slug=tenant.slug,
        name=tenant.name,
        name_kana=tenant.name_kana,
        corporate_number=tenant.corporate_number,
        prefecture=tenant.prefecture,
        services=msgspec.convert(list(tenant.services), tuple[Any, ...]),
        locale=tenant.locale,  # type: ignore[arg-type]
        time_zone=tenant.time_zone,
        status=tenant.status,  # type: ignore[arg-type]
        require_mfa=tenant.require_mfa,
        oidc=msgspec.convert(settings.get("oidc"), OidcSpec | None),
        sla=msgspec.convert(settings.get("sla") or [], tuple[ServiceSla, ...]),
        calendar=msgspec.convert(settings["calendar"], CalendarSpec)
        if settings.get("calendar") is not None
        else CalendarSpec(),
        payroll=msgspec.convert(settings.get("payroll"), PayrollSpec | None),
        users=tuple(p for p in listed if isinstance(p, UserSpec)),
        operators=tuple(p for p in listed if isinstance(p, OperatorSpec)),
    )


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    """JSON as `path → leaf`, so a diff names the field that changed
    (`calendar.working_hours.start`), not the whole section."""
    if isinstance(value, dict):
        if not value:
            out[path] = {}
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, list):
        if not value:
            out[path] = []
        for index, item in enumerate(value):
            _flatten(item, f"{path}[{index}]", out)
    else:
        out[path] = value


def settings_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldChange]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    _flatten(dict(old), "", before)
    _flatten(dict(new), "", after)
    return [
        FieldChange(key, before.get(key), after.get(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


# --------------------------------------------------------------------------- apply


async def _check_conflicts(
    session: AsyncSession, specs: Sequence[TenantSpec], users: Mapping[str, User]
) -> None:
    problems: list[str] = []
    by_number = await repo.tenants_by_corporate_numbers(
        session, [s.corporate_number for s in specs]
    )
    for spec in specs:
        other = by_number.get(spec.corporate_number)
        if other is not None and other.slug != spec.slug:
            problems.append(
                f"{spec.slug}: corporate_number: {spec.corporate_number} already belongs to "
                f"tenant {other.slug}"
            )
    wanted_kind: dict[str, tuple[str, str]] = {}
    for spec in specs:
        people: list[tuple[str, str, str]] = [
            *((f"users[{i}]", u.email, "client") for i, u in enumerate(spec.users)),
            *((f"operators[{i}]", o.email, "operator") for i, o in enumerate(spec.operators)),
        ]
        for where, email, kind in people:
            existing = users.get(email)
            if existing is not None and existing.kind != kind:
                listed_as = "a client user" if kind == "client" else "an operator"
                problems.append(
                    f"{spec.slug}: {where}.email: {email} is an existing {existing.kind} "
                    f"account and cannot be listed as {listed_as}"
                )
            first = wanted_kind.setdefault(email, (kind, f"{spec.slug} {where}"))
            if first[0] != kind:
                problems.append(
                    f"{spec.slug}: {where}.email: {email} is listed as a {kind} here and "
                    f"as a {first[0]} in {first[1]}"
                )
    if problems:
        raise TenantApplyConflict(problems)


def _people(spec: TenantSpec) -> list[UserSpec | OperatorSpec]:
    return [*spec.users, *spec.operators]


async def apply_tenant_specs(
    session: AsyncSession, specs: Sequence[TenantSpec], *, prune: bool = False
) -> list[Change]:
    """Make the database match `specs`; return what changed (and what did not)."""
    emails = {p.email for s in specs for p in _people(s)}
    users = await repo.users_by_emails(session, emails)
    await _check_conflicts(session, specs, users)
    changes: list[Change] = []
    for spec in specs:
        tenant, change = await _apply_tenant(session, spec)
        changes.append(change)
        for person in _people(spec):
            if person.email not in users:
                users[person.email] = await _create_user(session, person)
                kind = "client" if isinstance(person, UserSpec) else "operator"
                changes.append(Change("user", person.email, "created", note=kind))
        await repo.enter_scope(session, scope_of_tenant(tenant.id))
        changes += await _apply_people(session, tenant, spec, users, prune=prune)
        await repo.enter_scope(session, NO_TENANTS)
    return changes


async def _apply_tenant(session: AsyncSession, spec: TenantSpec) -> tuple[Tenant, Change]:
    profile = profile_of(spec)
    settings = settings_of(spec)
    tenant = await repo.tenant_by_slug(session, spec.slug)
    if tenant is None:
        tenant = Tenant(id=new_id(), slug=spec.slug, settings=settings, **profile)
        session.add(tenant)
        await session.flush()
        return tenant, Change("tenant", spec.slug, "created", tenant=spec.slug)
    diffs = [
        FieldChange(name, getattr(tenant, name), value)
        for name, value in profile.items()
        if getattr(tenant, name) != value
    ]
    diffs += [
        FieldChange(f"settings.{d.field}", d.old, d.new)
        for d in settings_diff(tenant.settings or {}, settings)
    ]
    if not diffs:
        return tenant, Change("tenant", spec.slug, "unchanged", tenant=spec.slug)
    for name, value in profile.items():
        setattr(tenant, name, value)
    tenant.settings = settings
    await session.flush()
    return tenant, Change("tenant", spec.slug, "updated", tenant=spec.slug, fields=tuple(diffs))


async def _create_user(session: AsyncSession, person: UserSpec | OperatorSpec) -> User:
    if isinstance(person, UserSpec):
        user = User(
            id=new_id(), email=person.email, display_name=person.display_name, kind="client"
        )
    else:
        name = person.email.split("@")[0]
        user = User(id=new_id(), email=person.email, display_name=name, kind="operator")
    session.add(user)
    await session.flush()
    return user


async def _apply_people(
    session: AsyncSession,
    tenant: Tenant,
    spec: TenantSpec,
    users: Mapping[str, User],
    *,
    prune: bool,
) -> list[Change]:
    changes: list[Change] = []
    tables: tuple[
        tuple[
            ChangeKind,
            type[Membership] | type[OperatorAssignment],
            Sequence[UserSpec | OperatorSpec],
        ],
        ...,
    ] = (
        ("membership", Membership, spec.users),
        ("operator_assignment", OperatorAssignment, spec.operators),
    )
    for kind, model, people in tables:
        current: list[tuple[Membership | OperatorAssignment, User]]
        if model is Membership:
            current = list(await repo.memberships(session, tenant.id))
        else:
            current = list(await repo.assignments(session, tenant.id))
        by_user = {row.user_id: row for row, _ in current}
        listed: set[uuid.UUID] = set()
        for person in people:
            user = users[person.email]
            listed.add(user.id)
            row = by_user.get(user.id)
            if row is None:
                session.add(
                    model(tenant_id=tenant.id, id=new_id(), user_id=user.id, role=person.role)
                )
                changes.append(Change(kind, person.email, "created", spec.slug, note=person.role))
            elif row.role != person.role:
                diff = FieldChange("role", row.role, person.role)
                row.role = person.role
                changes.append(Change(kind, person.email, "updated", spec.slug, (diff,)))
            else:
                changes.append(Change(kind, person.email, "unchanged", spec.slug))
        for row, user in current:
            if row.user_id in listed:
                continue
            email = user.email.lower()
            if prune:
                await repo.delete_row(session, row)
                changes.append(Change(kind, email, "removed", spec.slug, note=row.role))
            else:
                note = f"{row.role}; not in the file, kept (--prune removes)"
                changes.append(Change(kind, email, "kept", spec.slug, note=note))
        await session.flush()
    return changes


# --------------------------------------------------------------------------- export


async def export_tenant_spec(session: AsyncSession, slug: str) -> TenantSpec | None:
    """The tenant as a spec, with every current member and operator in the order they
    were added (so an applied file exports in its own order),
    or None if there is no such tenant. Re-scopes the transaction to the tenant."""
    tenant = await repo.tenant_by_slug(session, slug)
    if tenant is None:
        return None
    await repo.enter_scope(session, scope_of_tenant(tenant.id))
    people: list[UserSpec | OperatorSpec] = [
        UserSpec(email=u.email.lower(), display_name=u.display_name, role=m.role)  # type: ignore[arg-type]
        for m, u in await repo.memberships(session, tenant.id)
    ]
    people += [
        OperatorSpec(email=u.email.lower(), role=a.role)  # type: ignore[arg-type]
        for a, u in await repo.assignments(session, tenant.id)
    ]
    await repo.enter_scope(session, NO_TENANTS)
    return spec_of(tenant, people)


# --------------------------------------------------------------------------- members (API)


async def add_member(
    session: AsyncSession, tenant_id: uuid.UUID, *, email: str, display_name: str, role: str
) -> tuple[Membership, User]:
    """Give a client user (created if new) a role in the tenant. The session must be in
    the tenant's scope."""
    email = email.strip().lower()
    user = await repo.user_by_email(session, email)
    if user is None:
        name = display_name.strip() or email
        user = User(id=new_id(), email=email, display_name=name, kind="client")
        session.add(user)
        await session.flush()
    elif user.kind != "client":
        raise InvalidInput.field("email", "belongs to an operator account, not a client user")
    existing = [m for m, _ in await repo.memberships(session, tenant_id) if m.user_id == user.id]
    if existing:
        raise Conflict(f"{email} is already a member of this tenant")
    row = Membership(tenant_id=tenant_id, id=new_id(), user_id=user.id, role=role)
    session.add(row)
    await session.flush()
    return row, user


async def _ensure_an_admin_remains(
    session: AsyncSession, row: Membership, *, new_role: str | None
) -> None:
    demoted = row.role == "client_admin" and new_role != "client_admin"
    if demoted and await repo.count_client_admins(session, row.tenant_id) <= 1:
        raise Conflict("a tenant keeps at least one client_admin")


async def change_member_role(session: AsyncSession, row: Membership, role: str) -> FieldChange:
    await _ensure_an_admin_remains(session, row, new_role=role)
    change = FieldChange("role", row.role, role)
    row.role = role
    await session.flush()
    return change


async def remove_member(session: AsyncSession, row: Membership) -> None:
    await _ensure_an_admin_remains(session, row, new_role=None)
    await repo.delete_row(session, row)


# --------------------------------------------------------------------------- operators (API)


async def assign_operator(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    email: str,
    role: str,
    display_name: str | None = None,
) -> tuple[OperatorAssignment, User]:
    """Assign an operator (created if new) to serve the tenant. Session in its scope."""
    email = email.strip().lower()
    user = await repo.user_by_email(session, email)
    if user is None:
        name = (display_name or "").strip() or email
        user = User(id=new_id(), email=email, display_name=name, kind="operator")
        session.add(user)
        await session.flush()
    elif user.kind != "operator":
        raise InvalidInput.field("email", "belongs to a client user, not an operator")
    if any(a.user_id == user.id for a, _ in await repo.assignments(session, tenant_id)):
        raise Conflict(f"{email} is already assigned to this tenant")
    row = OperatorAssignment(tenant_id=tenant_id, id=new_id(), user_id=user.id, role=role)
    session.add(row)
    await session.flush()
    return row, user


async def unassign_operator(session: AsyncSession, row: OperatorAssignment) -> None:
    await repo.delete_row(session, row)


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class StatusChange:
    old: str
    new: str
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


async def set_status(session: AsyncSession, tenant: Tenant, status: str) -> StatusChange:
    """Suspend (client users read-only) or reactivate a tenant. Offboarded is final."""
    if tenant.status == "offboarded":
        raise Conflict("the tenant is offboarded")
    change = StatusChange(tenant.status, status)
    tenant.status = status
    await session.flush()
    await session.refresh(tenant)  # updated_at is set by the server
    return change
