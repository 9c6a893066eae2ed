"""Tenancy pages.

Portal (client_admin): the company's users and roles, partner access grants, and the
company settings an admin may change. Console (ops_admin): every tenant, onboarding a
new one, and the operators assigned to each.

Every change is audited in the tenant's chain, in the request's one transaction. Ids
posted by forms are looked up through the tenant-scoped session, so another tenant's
member, grant or assignment is simply not found (404). A change the rules refuse (the
last client_admin, a duplicate member) comes back as a readable message.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Any

from litestar import Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.audit.service import record
from daiko.auth import partners
from daiko.auth.clock import utcnow
from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.auth.service import invitation, send_invitation
from daiko.errors import Conflict, DaikoError, Forbidden, InvalidInput, NotFound
from daiko.tenancy import repository as repo
from daiko.tenancy import service
from daiko.tenancy.corporate_number import corporate_number_error
from daiko.tenancy.models import CLIENT_ROLES, OPERATOR_ROLES, SERVICES, Tenant, User
from daiko.tenancy.prefectures import PREFECTURES, find_prefecture
from daiko.tenancy.scope import scope_of_tenant
from daiko.tenancy.service import Actor
from daiko.tenancy.spec import OperatorSpec, TenantSpec, UserSpec
from daiko.web import forms
from daiko.web.flash import flash
from daiko.web.forms import FieldErrors
from daiko.web.i18n import current_locale, gettext
from daiko.web.shell import render

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# What the error summary calls each field (msgids of the forms' labels).
FIELD_LABELS = {
    "email": "E-mail",
    "display_name": "Name",
    "role": "Role",
    "client_id": "Partner",
    "scopes": "Permissions",
    "locale": "Default language",
    "notification_email": "Address for notices",
    "slug": "Slug",
    "name": "Company name",
    "name_kana": "Company name (kana)",
    "corporate_number": "Corporate number",
    "prefecture": "Prefecture",
    "services": "Services",
    "admin_email": "First administrator's e-mail",
    "admin_name": "First administrator's name",
}


def _labels() -> dict[str, str]:
    return {name: gettext(label) for name, label in FIELD_LABELS.items()}


def _back(path: str) -> Redirect:
    return Redirect(path, status_code=303)


def _refusal(exc: DaikoError) -> str:
    if isinstance(exc, Conflict) and "client_admin" in exc.detail:
        return gettext("A company keeps at least one administrator.")
    if isinstance(exc, Conflict) and "already" in exc.detail:
        return gettext("This person is already a member.")
    if isinstance(exc, Forbidden):
        return gettext("You may not do this.")
    return gettext("The change was not made: %(detail)s", detail=exc.detail)


async def _admin_tenants(
    session: AsyncSession, principal: Principal, action: Action
) -> list[Tenant]:
    ids = [t for t in principal.scope.tenant_ids if allows(principal, action, t)]
    return list(await repo.list_tenants(session, ids)) if ids else []


def _chosen(tenants: Sequence[Tenant], raw: str | None) -> Tenant:
    """The tenant a page or form is about: the one named (if the user may act there),
    else the first. Another tenant's id is a 404."""
    if not tenants:
        raise NotFound("no such company")
    if not raw:
        return tenants[0]
    for t in tenants:
        if str(t.id) == raw:
            return t
    raise NotFound("no such company")


def _uuid(raw: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise NotFound("no such item") from None


# --------------------------------------------------------------------------- members


async def _members_page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    tenants: list[Tenant],
    tenant: Tenant,
    *,
    values: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> Template:
    principal = require_principal(request)
    return render(
        request,
        "tenancy/members.html",
        {
            "tenants": tenants,
            "tenant": tenant,
            "members": await repo.memberships(session, tenant.id),
            "roles": CLIENT_ROLES,
            "role_options": [(r, gettext(r)) for r in CLIENT_ROLES],
            "may_manage": allows(principal, Action.MEMBERS_MANAGE, tenant.id),
            "values": values or {"role": "client_member"},
            "errors": errors or FieldErrors(),
            "labels": _labels(),
        },
        status_code=status,
    )


@get("/portal/members", include_in_schema=False, opt={"action": Action.MEMBERS_READ, "page": True})
async def members_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: str | None = None
) -> Template | Redirect:
    """The company's users and their roles."""
    principal = require_principal(request)
    if principal.is_operator:
        return Redirect("/console")
    tenants = await _admin_tenants(db_session, principal, Action.MEMBERS_READ)
    return await _members_page(request, db_session, tenants, _chosen(tenants, tenant_id))


@post(
    "/portal/members", include_in_schema=False, opt={"action": Action.MEMBERS_MANAGE, "page": True}
)
async def add_member_page(
    request: Request[Any, Any, Any], db_session: AsyncSession
) -> Template | Redirect:
    """Add a user (created if new) with a role, and mail them an invitation (a link to
    choose a password when they have none) once that is committed."""
    principal = require_principal(request)
    runtime = request.app.state.runtime
    form = await request.form()
    tenants = await _admin_tenants(db_session, principal, Action.MEMBERS_MANAGE)
    tenant = _chosen(tenants, forms.text(form, "tenant_id"))
    errors = FieldErrors()
    email = forms.email(errors, form, "email")
    name = forms.optional(errors, form, "display_name", max_length=100) or ""
    role = forms.choice(errors, form, "role", CLIENT_ROLES)
    if not errors:
        try:
            async with db_session.begin_nested():
                row, user = await service.add_member(
                    db_session, tenant.id, email=email, display_name=name, role=role
                )
                await service.record_event(
                    db_session,
                    tenant.id,
                    Actor.of(principal),
                    "membership.created",
                    resource_type="membership",
                    resource_id=row.id,
                    details={"user_id": str(user.id), "role": row.role},
                )
                mail = await invitation(db_session, runtime.settings, user, tenant, utcnow(runtime))
        except InvalidInput as exc:
            errors.add("email", gettext("This address belongs to an operator account."))
            del exc
        except Conflict:
            errors.add("email", gettext("This person is already a member."))
    if errors:
        return await _members_page(
            request,
            db_session,
            tenants,
            tenant,
            values=forms.values(form),
            errors=errors,
            status=422,
        )
    response = _back(f"/portal/members?tenant_id={tenant.id}")
    response.background = BackgroundTask(send_invitation, runtime.settings, mail)
    flash(
        request,
        response,
        "success",
        gettext("%(email)s was added and sent an invitation.", email=email),
    )
    return response


async def _member_change(
    request: Request[Any, Any, Any], session: AsyncSession, what: str
) -> Redirect:
    principal = require_principal(request)
    form = await request.form()
    tenants = await _admin_tenants(session, principal, Action.MEMBERS_MANAGE)
    tenant = _chosen(tenants, forms.text(form, "tenant_id"))
    found = await repo.membership(session, tenant.id, _uuid(forms.text(form, "member_id")))
    if found is None:
        raise NotFound("no such member")
    row, user = found
    response = _back(f"/portal/members?tenant_id={tenant.id}")
    try:
        async with session.begin_nested():
            if what == "role":
                role = forms.text(form, "role")
                if role not in CLIENT_ROLES:
                    raise InvalidInput.field("role", "unknown role")
                change = await service.change_member_role(session, row, role)
                action, details = "membership.role_changed", {"from": change.old, "to": change.new}
                message = gettext(
                    "%(email)s is now: %(role)s", email=user.email, role=gettext(role)
                )
            else:
                await service.remove_member(session, row)
                action, details = "membership.deleted", {"user_id": str(user.id), "role": row.role}
                message = gettext("%(email)s was removed.", email=user.email)
            await service.record_event(
                session,
                tenant.id,
                Actor.of(principal),
                action,
                resource_type="membership",
                resource_id=row.id,
                details=details,
            )
    except DaikoError as exc:
        flash(request, response, "error", _refusal(exc))
    else:
        flash(request, response, "success", message)
    return response


@post(
    "/portal/members/role",
    include_in_schema=False,
    opt={"action": Action.MEMBERS_MANAGE, "page": True},
)
async def change_role_page(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    """Change a member's role (a company keeps at least one administrator)."""
    return await _member_change(request, db_session, "role")


@post(
    "/portal/members/remove",
    include_in_schema=False,
    opt={"action": Action.MEMBERS_MANAGE, "page": True},
)
async def remove_member_page(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    """Remove a member from the company (the account stays)."""
    return await _member_change(request, db_session, "remove")


# --------------------------------------------------------------------------- partner access


async def _partners_page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    tenants: list[Tenant],
    tenant: Tenant,
    *,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> Template:
    clients = await partners.active_clients(session)
    return render(
        request,
        "tenancy/partners.html",
        {
            "tenants": tenants,
            "tenant": tenant,
            "grants": await partners.tenant_grants(session, tenant.id),
            "clients": clients,
            "values": values or {},
            "errors": errors or FieldErrors(),
            "labels": _labels(),
        },
        status_code=status,
    )


@get(
    "/portal/partners", include_in_schema=False, opt={"action": Action.PARTNERS_GRANT, "page": True}
)
async def partners_page(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: str | None = None
) -> Template:
    """Partner integrations with access to the company, and what each may do."""
    principal = require_principal(request)
    tenants = await _admin_tenants(db_session, principal, Action.PARTNERS_GRANT)
    return await _partners_page(request, db_session, tenants, _chosen(tenants, tenant_id))


@post(
    "/portal/partners", include_in_schema=False, opt={"action": Action.PARTNERS_GRANT, "page": True}
)
async def grant_page(
    request: Request[Any, Any, Any], db_session: AsyncSession
) -> Template | Redirect:
    """Grant a partner access with some of its scopes."""
    principal = require_principal(request)
    form = await request.form()
    tenants = await _admin_tenants(db_session, principal, Action.PARTNERS_GRANT)
    tenant = _chosen(tenants, forms.text(form, "tenant_id"))
    scopes = set(forms.many(form, "scopes"))
    client_id = forms.text(form, "client_id")
    errors = FieldErrors()
    try:
        async with db_session.begin_nested():
            grant, client = await partners.grant_access(
                db_session, tenant.id, client_id, scopes, principal.user_id
            )
            await record(
                db_session,
                tenant_id=tenant.id,
                actor=principal,
                action="partner_grant.created",
                resource_type="partner_grant",
                resource_id=grant.id,
                details={"client_id": client.client_id, "scopes": sorted(scopes)},
            )
    except partners.GrantRefused as exc:
        reason = {
            "no such partner client": gettext("Choose one of the options."),
            "grant at least one scope": gettext("Tick at least one permission."),
        }.get(exc.reason)
        if reason is None and exc.field == "client_id":
            reason = gettext("This partner already has access; revoke it first.")
        errors.add(exc.field, reason or gettext("This partner may not have these permissions."))
        values = {"client_id": client_id, "scopes": sorted(scopes)}
        return await _partners_page(
            request, db_session, tenants, tenant, values=values, errors=errors, status=422
        )
    response = _back(f"/portal/partners?tenant_id={tenant.id}")
    flash(request, response, "success", gettext("%(name)s now has access.", name=client.name))
    return response


@post(
    "/portal/partners/revoke",
    include_in_schema=False,
    opt={"action": Action.PARTNERS_GRANT, "page": True},
)
async def revoke_page(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    """Revoke a grant: the partner's tokens stop reaching the company at once."""
    principal = require_principal(request)
    form = await request.form()
    tenants = await _admin_tenants(db_session, principal, Action.PARTNERS_GRANT)
    tenant = _chosen(tenants, forms.text(form, "tenant_id"))
    grant_id = _uuid(forms.text(form, "grant_id"))
    now = dt.datetime.now(dt.UTC)
    grant = await partners.revoke_access(db_session, tenant.id, grant_id, principal.user_id, now)
    if grant is None:
        raise NotFound("no such grant")
    if grant.revoked_at == now:
        await record(
            db_session,
            tenant_id=tenant.id,
            actor=principal,
            action="partner_grant.revoked",
            resource_type="partner_grant",
            resource_id=grant.id,
            details={"client_id": grant.client_id},
        )
    response = _back(f"/portal/partners?tenant_id={tenant.id}")
    flash(request, response, "success", gettext("The access was revoked."))
    return response


# --------------------------------------------------------------------------- company settings


def _settings_values(tenant: Tenant) -> dict[str, str]:
    notifications = (tenant.settings or {}).get("notifications") or {}
    return {
        "locale": tenant.locale,
        "require_mfa": "on" if tenant.require_mfa else "",
        "notification_email": str(notifications.get("email") or ""),
    }


def _company_page(
    request: Request[Any, Any, Any],
    tenants: list[Tenant],
    tenant: Tenant,
    values: dict[str, str],
    errors: FieldErrors,
    status: int = 200,
) -> Template:
    return render(
        request,
        "tenancy/company_settings.html",
        {
            "tenants": tenants,
            "tenant": tenant,
            "values": values,
            "errors": errors,
            "labels": _labels(),
        },
        status_code=status,
    )


@get(
    "/portal/settings/company",
    include_in_schema=False,
    opt={"action": Action.MEMBERS_MANAGE, "page": True},
)
async def company_settings(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: str | None = None
) -> Template:
    """What a company administrator may change: default language, two-step sign-in for
    everyone, the address notices go to."""
    principal = require_principal(request)
    tenants = await _admin_tenants(db_session, principal, Action.MEMBERS_MANAGE)
    tenant = _chosen(tenants, tenant_id)
    return _company_page(request, tenants, tenant, _settings_values(tenant), FieldErrors())


@post(
    "/portal/settings/company",
    include_in_schema=False,
    opt={"action": Action.MEMBERS_MANAGE, "page": True},
)
async def save_company_settings(
    request: Request[Any, Any, Any], db_session: AsyncSession
) -> Template | Redirect:
    """Save the company settings (audited as `tenant.settings_changed`)."""
    principal = require_principal(request)
    form = await request.form()
    tenants = await _admin_tenants(db_session, principal, Action.MEMBERS_MANAGE)
    tenant = _chosen(tenants, forms.text(form, "tenant_id"))
    authorize(principal, Action.MEMBERS_MANAGE, tenant.id)
    errors = FieldErrors()
    locale = forms.choice(errors, form, "locale", ("ja", "en"))
    require_mfa = forms.text(form, "require_mfa") == "on"
    email = forms.text(form, "notification_email").lower()
    if email and not forms.EMAIL.match(email):
        errors.add(
            "notification_email", gettext("Enter an e-mail address like name@example.co.jp.")
        )
    if errors:
        return _company_page(request, tenants, tenant, forms.values(form), errors, 422)
    before = _settings_values(tenant)
    row = await db_session.get(Tenant, tenant.id, with_for_update=True)
    assert row is not None
    row.locale = locale
    row.require_mfa = require_mfa
    notifications = {**((row.settings or {}).get("notifications") or {}), "email": email or None}
    row.settings = {**(row.settings or {}), "notifications": notifications}
    await db_session.flush()
    after = _settings_values(row)
    changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    if changed:
        await service.record_event(
            db_session, tenant.id, Actor.of(principal), "tenant.settings_changed", details=changed
        )
    response = _back(f"/portal/settings/company?tenant_id={tenant.id}")
    flash(request, response, "success", gettext("The settings were saved."))
    return response


# --------------------------------------------------------------------------- console: tenants


def _prefectures() -> list[tuple[str, str]]:
    ja = current_locale() == "ja"
    return [(p.code, p.kanji if ja else p.romaji) for p in PREFECTURES]


async def _tenants_page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    *,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> Template:
    tenants = list(await repo.list_tenants(session))
    operators = (
        await session.execute(
            select(User.email)
            .where(User.kind == "operator", User.is_active.is_(True))
            .order_by(User.email)
        )
    ).scalars()
    emails = list(operators)
    return render(
        request,
        "tenancy/console_tenants.html",
        {
            "tenants": tenants,
            "services": SERVICES,
            "prefectures": _prefectures(),
            "operators": emails,
            "lead_options": [("", "—"), *((e, e) for e in emails)],
            "values": values or {"prefecture": "13", "locale": "ja", "services": list(SERVICES)},
            "errors": errors or FieldErrors(),
            "labels": _labels(),
        },
        status_code=status,
    )


@get(
    "/console/tenants",
    include_in_schema=False,
    opt={"action": Action.PLATFORM_TENANTS, "page": True},
)
async def console_tenants(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template:
    """Every client company, and the form to onboard a new one (ops_admin)."""
    return await _tenants_page(request, db_session)


@post(
    "/console/tenants",
    include_in_schema=False,
    opt={"action": Action.PLATFORM_TENANTS, "page": True},
)
async def onboard_tenant(
    request: Request[Any, Any, Any], db_session: AsyncSession
) -> Template | Redirect:
    """Create a tenant with its first administrator and operators, as `daiko tenants
    apply` would from a file (the same checks)."""
    principal = require_principal(request)
    form = await request.form()
    errors = FieldErrors()
    slug = forms.required(errors, form, "slug", max_length=63).lower()
    if slug and not SLUG.match(slug):
        errors.add("slug", gettext("Lower-case letters, digits and hyphens, like tokyo-soft."))
    name = forms.required(errors, form, "name", max_length=200)
    kana = forms.required(errors, form, "name_kana", max_length=200)
    number = forms.required(errors, form, "corporate_number", max_length=13)
    if number and corporate_number_error(number):
        errors.add("corporate_number", gettext("Not a valid corporate number (13 digits)."))
    prefecture = find_prefecture(forms.text(form, "prefecture"))
    if prefecture is None:
        errors.add("prefecture", gettext("Choose one of the options."))
    services = forms.many(form, "services")
    if not services or any(s not in SERVICES for s in services):
        errors.add("services", gettext("Tick at least one service."))
    locale = forms.choice(errors, form, "locale", ("ja", "en"))
    admin_email = forms.email(errors, form, "admin_email")
    admin_name = forms.required(errors, form, "admin_name", max_length=100)
    picked = forms.many(form, "operators")
    lead = forms.text(form, "lead")
    if lead and lead not in picked:
        picked.append(lead)  # the lead serves the company too
    if slug and not errors.get("slug") and await repo.tenant_by_slug(db_session, slug):
        errors.add("slug", gettext("This slug is taken."))
    taken = number and not errors.get("corporate_number")
    if taken and await repo.tenants_by_corporate_numbers(db_session, [number]):
        errors.add("corporate_number", gettext("Another company has this number."))
    if errors or prefecture is None:
        values = {**forms.values(form), "services": services, "operators": picked}
        return await _tenants_page(request, db_session, values=values, errors=errors, status=422)
    spec = TenantSpec(
        slug=slug,
        name=name,
        name_kana=kana,
        corporate_number=number,
        prefecture=prefecture.code,
        services=tuple(services),  # type: ignore[arg-type]
        locale=locale,  # type: ignore[arg-type]
        users=(UserSpec(email=admin_email, display_name=admin_name, role="client_admin"),),
        operators=tuple(
            OperatorSpec(email=e, role="lead" if e == lead else "operator") for e in picked
        ),
    )
    runtime = request.app.state.runtime
    try:
        async with db_session.begin_nested():
            await service.apply_tenant_specs(db_session, [spec])
            tenant = await repo.tenant_by_slug(db_session, slug)
            assert tenant is not None
            await repo.enter_scope(db_session, scope_of_tenant(tenant.id))
            await service.record_event(
                db_session,
                tenant.id,
                Actor.of(principal),
                "tenant.created",
                details={"slug": slug, "services": services, "operators": picked},
            )
            admin = await repo.user_by_email(db_session, admin_email)
            assert admin is not None
            mail = await invitation(db_session, runtime.settings, admin, tenant, utcnow(runtime))
    except service.TenantApplyConflict as exc:
        errors.add("admin_email", "; ".join(exc.problems))
        values = {**forms.values(form), "services": services, "operators": picked}
        return await _tenants_page(request, db_session, values=values, errors=errors, status=422)
    response = _back(f"/console/tenants/{tenant.id}")
    response.background = BackgroundTask(send_invitation, runtime.settings, mail)  # the admin
    flash(request, response, "success", gettext("%(name)s was created.", name=name))
    return response


async def _platform_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    """Any tenant that is not offboarded, with the transaction re-scoped to it."""
    tenant = await repo.tenant_by_id(session, tenant_id)
    if tenant is None or tenant.status == "offboarded":
        raise NotFound("no such tenant")
    await repo.enter_scope(session, scope_of_tenant(tenant_id))
    return tenant


@get(
    "/console/tenants/{tenant_id:uuid}",
    include_in_schema=False,
    opt={"action": Action.PLATFORM_ASSIGNMENTS, "page": True},
)
async def console_tenant(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID
) -> Template:
    """One tenant: its profile and the operators assigned to serve it."""
    tenant = await _platform_tenant(db_session, tenant_id)
    prefecture = find_prefecture(tenant.prefecture)
    return render(
        request,
        "tenancy/console_tenant.html",
        {
            "tenant": tenant,
            "prefecture": prefecture,
            "assignments": await repo.assignments(db_session, tenant.id),
            "members": await repo.memberships(db_session, tenant.id),
            "roles": OPERATOR_ROLES,
            "errors": FieldErrors(),
        },
    )


@post(
    "/console/tenants/{tenant_id:uuid}/operators",
    include_in_schema=False,
    opt={"action": Action.PLATFORM_ASSIGNMENTS, "page": True},
)
async def change_operators(
    request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID
) -> Redirect:
    """Assign an operator (created if new), change one's role, or end an assignment."""
    principal = require_principal(request)
    tenant = await _platform_tenant(db_session, tenant_id)
    form = await request.form()
    op = forms.text(form, "op")
    response = _back(f"/console/tenants/{tenant.id}")
    try:
        async with db_session.begin_nested():
            if op == "add":
                errors = FieldErrors()
                email = forms.email(errors, form, "email")
                role = forms.choice(errors, form, "role", OPERATOR_ROLES)
                if errors:
                    raise InvalidInput(next(iter(errors.values())))
                row, user = await service.assign_operator(
                    db_session, tenant.id, email=email, role=role
                )
                action, details = (
                    "operator_assignment.created",
                    {"user_id": str(user.id), "role": role},
                )
                message = gettext("%(email)s now serves this company.", email=email)
            else:
                found = await repo.assignment(
                    db_session, tenant.id, _uuid(forms.text(form, "assignment_id"))
                )
                if found is None:
                    raise NotFound("no such operator assignment")
                row, user = found
                if op == "role":
                    role = forms.text(form, "role")
                    if role not in OPERATOR_ROLES:
                        raise InvalidInput.field("role", "unknown role")
                    action, details = (
                        "operator_assignment.role_changed",
                        {"from": row.role, "to": role},
                    )
                    row.role = role
                    await db_session.flush()
                    message = gettext(
                        "%(email)s is now: %(role)s", email=user.email, role=gettext(role)
                    )
                else:
                    await service.unassign_operator(db_session, row)
                    action, details = (
                        "operator_assignment.deleted",
                        {"user_id": str(user.id), "role": row.role},
                    )
                    message = gettext("%(email)s no longer serves this company.", email=user.email)
            await service.record_event(
                db_session,
                tenant.id,
                Actor.of(principal),
                action,
                resource_type="operator_assignment",
                resource_id=row.id,
                details=details,
            )
    except NotFound:
        raise
    except InvalidInput as exc:
        if "client user" in exc.detail:
            text = gettext("This address belongs to a client user, not an operator.")
        else:
            text = gettext("The input is not valid: %(detail)s", detail=exc.detail)
        flash(request, response, "error", text)
    except Conflict:
        flash(request, response, "error", gettext("This operator already serves this company."))
    else:
        flash(request, response, "success", message)
    return response


routes = [
    members_page,
    add_member_page,
    change_role_page,
    remove_member_page,
    partners_page,
    grant_page,
    revoke_page,
    company_settings,
    save_company_settings,
    console_tenants,
    onboard_tenant,
    console_tenant,
    change_operators,
]
