"""Tenant API: tenants, members (client_admin), operator assignments, status and
offboarding (ops_admin).

A tenant outside the principal's scope answers 404, never 403, so its existence does
not leak; members and assignments are loaded through the tenant-scoped session with the
path's tenant id, so an id from another tenant is not found either. Platform routes
(ops_admin, whose scope holds no tenant) re-scope the request's one transaction to the
tenant they act on; only this module builds that scope.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.background_tasks import BackgroundTask
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.auth.clock import utcnow
from daiko.auth.policy import Action, allows, authorize, require_principal
from daiko.auth.principal import Principal
from daiko.auth.service import invitation, send_invitation
from daiko.errors import InvalidInput, NotFound
from daiko.runtime import Runtime
from daiko.tenancy import repository as repo
from daiko.tenancy import service
from daiko.tenancy.models import Membership, OperatorAssignment, Tenant, User
from daiko.tenancy.offboarding import TenantArchive, offboard_tenant
from daiko.tenancy.schemas import (
    AssignmentCreate,
    AssignmentOut,
    AssignmentUpdate,
    MemberCreate,
    MemberOut,
    MemberUpdate,
    OffboardRequest,
    OffboardResult,
    TenantOut,
)
from daiko.tenancy.scope import scope_of_tenant
from daiko.tenancy.service import Actor


async def _tenant(
    session: AsyncSession, principal: Principal, tenant_id: uuid.UUID, action: Action
) -> Tenant:
    """The tenant if it is in the principal's scope (else 404), and the principal may do
    `action` in it (else 403)."""
    tenant = await repo.tenant_by_id(session, tenant_id) if tenant_id in principal.scope else None
    if tenant is None:
        raise NotFound("no such tenant")
    authorize(principal, action, tenant_id)
    return tenant


async def _platform_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    """For ops_admin routes (the guard checked the platform role): any tenant that is
    not offboarded, with the transaction re-scoped to it."""
    tenant = await repo.tenant_by_id(session, tenant_id)
    if tenant is None or tenant.status == "offboarded":
        raise NotFound("no such tenant")
    await repo.enter_scope(session, scope_of_tenant(tenant_id))
    return tenant


async def _member(
    session: AsyncSession, tenant_id: uuid.UUID, member_id: uuid.UUID
) -> tuple[Membership, User]:
    found = await repo.membership(session, tenant_id, member_id)
    if found is None:
        raise NotFound("no such member")
    return found


async def _assignment(
    session: AsyncSession, tenant_id: uuid.UUID, assignment_id: uuid.UUID
) -> tuple[OperatorAssignment, User]:
    found = await repo.assignment(session, tenant_id, assignment_id)
    if found is None:
        raise NotFound("no such operator assignment")
    return found


class TenantController(Controller):
    path = "/api/v1/tenants"
    tags = ["tenants"]

    @get("/", opt={"action": Action.SELF})
    async def list_tenants(
        self, request: Request[Any, Any, Any], db_session: AsyncSession
    ) -> list[TenantOut]:
        """The tenants you may read (ops_admin: every tenant)."""
        principal = require_principal(request)
        if principal.kind == "user" and principal.is_ops_admin:
            tenants = await repo.list_tenants(db_session)
        else:
            readable = [
                t for t in principal.scope.tenant_ids if allows(principal, Action.TENANT_READ, t)
            ]
            tenants = await repo.list_tenants(db_session, readable)
        return [TenantOut.of(t) for t in tenants]

    @get("/{tenant_id:uuid}", opt={"action": Action.TENANT_READ})
    async def get_tenant(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID
    ) -> TenantOut:
        """One tenant's profile."""
        return TenantOut.of(
            await _tenant(db_session, require_principal(request), tenant_id, Action.TENANT_READ)
        )

    # ------------------------------------------------------------------ status

    async def _set_status(
        self, request: Request[Any, Any, Any], session: AsyncSession, tenant_id: uuid.UUID, to: str
    ) -> TenantOut:
        tenant = await _platform_tenant(session, tenant_id)
        change = await service.set_status(session, tenant, to)
        await service.record_event(
            session,
            tenant_id,
            Actor.of(require_principal(request)),
            f"tenant.{'suspended' if to == 'suspended' else 'reactivated'}",
            details={"from": change.old, "to": change.new},
        )
        return TenantOut.of(tenant)

    @post(
        "/{tenant_id:uuid}/suspend",
        opt={"action": Action.PLATFORM_TENANTS},
        status_code=HTTP_200_OK,
    )
    async def suspend(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID
    ) -> TenantOut:
        """Suspend a tenant: its client users keep read access only."""
        return await self._set_status(request, db_session, tenant_id, "suspended")

    @post(
        "/{tenant_id:uuid}/reactivate",
        opt={"action": Action.PLATFORM_TENANTS},
        status_code=HTTP_200_OK,
    )
    async def reactivate(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID
    ) -> TenantOut:
        """Lift a suspension."""
        return await self._set_status(request, db_session, tenant_id, "active")

    @post(
        "/{tenant_id:uuid}/offboard",
        opt={"action": Action.PLATFORM_OFFBOARD},
        status_code=HTTP_200_OK,
    )
    async def offboard(
        self,
        request: Request[Any, Any, Any],
        runtime: Runtime,
        tenant_id: uuid.UUID,
        data: OffboardRequest,
    ) -> OffboardResult:
        """Export everything of the tenant to a zip in the document store, then delete
        its data and documents. The archive link is valid for ten minutes; the archive
        itself stays under `offboarding/<tenant_id>/`."""
        store = runtime.store
        async with runtime.db.global_session() as session:
            tenant = await repo.tenant_by_id(session, tenant_id)
            if tenant is None or tenant.status == "offboarded":
                raise NotFound("no such tenant")
            if data.confirm_slug != tenant.slug:
                raise InvalidInput.field("confirm_slug", "must be the tenant's slug")
        keys: list[str] = []

        async def keep(t: Tenant, archive: TenantArchive) -> None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            key = f"offboarding/{t.id}/{t.slug}-{stamp}.zip"
            await store.put(key, archive.data, "application/zip")
            keys.append(key)

        done = await offboard_tenant(
            runtime.db,
            store,
            tenant_id,
            keep_archive=keep,
            actor=Actor.of(require_principal(request)),
        )
        return OffboardResult(
            tenant_id=done.tenant_id,
            slug=done.slug,
            archive_key=keys[0],
            archive_size=len(done.archive.data),
            archive_sha256=done.archive.sha256,
            rows=done.archive.rows,
            documents=len(done.archive.documents),
            download_url=await store.presign_get(keys[0], expires=600),
        )


class MemberController(Controller):
    path = "/api/v1/tenants/{tenant_id:uuid}/members"
    tags = ["members"]

    @get("/", opt={"action": Action.MEMBERS_READ})
    async def list_members(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, tenant_id: uuid.UUID
    ) -> list[MemberOut]:
        """The tenant's client users and their roles."""
        await _tenant(db_session, require_principal(request), tenant_id, Action.MEMBERS_READ)
        return [MemberOut.of(m, u) for m, u in await repo.memberships(db_session, tenant_id)]

    @post("/", opt={"action": Action.MEMBERS_MANAGE}, status_code=HTTP_201_CREATED)
    async def add_member(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID,
        data: MemberCreate,
        runtime: Runtime,
    ) -> Response[MemberOut]:
        """Give a client user (created if new) a role in the tenant. They are mailed an
        invitation once it is committed: a link to choose a password (valid 7 days) when
        they have none and the tenant does not require its own sign-in."""
        principal = require_principal(request)
        tenant = await _tenant(db_session, principal, tenant_id, Action.MEMBERS_MANAGE)
        row, user = await service.add_member(
            db_session,
            tenant_id,
            email=data.email,
            display_name=data.display_name or "",
            role=data.role,
        )
        await service.record_event(
            db_session,
            tenant_id,
            Actor.of(principal),
            "membership.created",
            resource_type="membership",
            resource_id=row.id,
            details={"user_id": str(user.id), "role": row.role},
        )
        mail = await invitation(db_session, runtime.settings, user, tenant, utcnow(runtime))
        return Response(
            MemberOut.of(row, user),
            status_code=HTTP_201_CREATED,
            background=BackgroundTask(send_invitation, runtime.settings, mail),
        )

    @get("/{member_id:uuid}", opt={"action": Action.MEMBERS_READ})
    async def get_member(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID,
        member_id: uuid.UUID,
    ) -> MemberOut:
        """One membership."""
        await _tenant(db_session, require_principal(request), tenant_id, Action.MEMBERS_READ)
        return MemberOut.of(*await _member(db_session, tenant_id, member_id))

    @patch("/{member_id:uuid}", opt={"action": Action.MEMBERS_MANAGE})
    async def update_member(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID,
        member_id: uuid.UUID,
        data: MemberUpdate,
    ) -> MemberOut:
        """Change a member's role (a tenant keeps at least one client_admin)."""
        principal = require_principal(request)
        await _tenant(db_session, principal, tenant_id, Action.MEMBERS_MANAGE)
        row, user = await _member(db_session, tenant_id, member_id)
        change = await service.change_member_role(db_session, row, data.role)
        await service.record_event(
            db_session,
            tenant_id,
            Actor.of(principal),
            "membership.role_changed",
            resource_type="membership",
            resource_id=row.id,
            details={"from": change.old, "to": change.new},
        )
        return MemberOut.of(row, user)

    @delete(
        "/{member_id:uuid}", opt={"action": Action.MEMBERS_MANAGE}, status_code=HTTP_204_NO_CONTENT
    )
    async def remove_member(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID,
        member_id: uuid.UUID,
    ) -> None:
        """Remove a member from the tenant (the user account stays)."""
        principal = require_principal(request)
        await _tenant(db_session, principal, tenant_id, Action.MEMBERS_MANAGE)
        row, user = await _member(db_session, tenant_id, member_id)
        await service.remove_member(db_session, row)
        await service.record_event(
            db_session,
            tenant_id,
            Actor.of(principal),
            "membership.deleted",
            resource_type="membership",
            resource_id=row.id,
            details={"user_id": str(user.id), "role": row.role},
        )


class OperatorAssignmentController(Controller):
    path = "/api/v1/tenants/{tenant_id:uuid}/operators"
    tags = ["operator assignments"]

    @get("/", opt={"action": Action.PLATFORM_ASSIGNMENTS})
    async def list_assignments(
        self, db_session: AsyncSession, tenant_id: uuid.UUID
    ) -> list[AssignmentOut]:
        """Operators assigned to serve the tenant."""
        await _platform_tenant(db_session, tenant_id)
        return [AssignmentOut.of(a, u) for a, u in await repo.assignments(db_session, tenant_id)]

    @post("/", opt={"action": Action.PLATFORM_ASSIGNMENTS}, status_code=HTTP_201_CREATED)
    async def assign(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID,
        data: AssignmentCreate,
    ) -> AssignmentOut:
        """Assign an operator (created if new) to the tenant."""
        await _platform_tenant(db_session, tenant_id)
        row, user = await service.assign_operator(
            db_session, tenant_id, email=data.email, role=data.role, display_name=data.display_name
        )
        await service.record_event(
            db_session,
            tenant_id,
            Actor.of(require_principal(request)),
            "operator_assignment.created",
            resource_type="operator_assignment",
            resource_id=row.id,
            details={"user_id": str(user.id), "role": row.role},
        )
        return AssignmentOut.of(row, user)

    @get("/{assignment_id:uuid}", opt={"action": Action.PLATFORM_ASSIGNMENTS})
    async def get_assignment(
        self, db_session: AsyncSession, tenant_id: uuid.UUID, assignment_id: uuid.UUID
    ) -> AssignmentOut:
        """One operator assignment."""
        await _platform_tenant(db_session, tenant_id)
        return AssignmentOut.of(*await _assignment(db_session, tenant_id, assignment_id))

    @patch("/{assignment_id:uuid}", opt={"action": Action.PLATFORM_ASSIGNMENTS})
    async def update_assignment(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID,
        assignment_id: uuid.UUID,
        data: AssignmentUpdate,
    ) -> AssignmentOut:
        """Change an operator's role in the tenant (operator / lead)."""
        await _platform_tenant(db_session, tenant_id)
        row, user = await _assignment(db_session, tenant_id, assignment_id)
        old = row.role
        row.role = data.role
        await db_session.flush()
        await service.record_event(
            db_session,
            tenant_id,
            Actor.of(require_principal(request)),
            "operator_assignment.role_changed",
            resource_type="operator_assignment",
            resource_id=row.id,
            details={"from": old, "to": row.role},
        )
        return AssignmentOut.of(row, user)

    @delete(
        "/{assignment_id:uuid}",
        opt={"action": Action.PLATFORM_ASSIGNMENTS},
        status_code=HTTP_204_NO_CONTENT,
    )
    async def unassign(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        tenant_id: uuid.UUID,
        assignment_id: uuid.UUID,
    ) -> None:
        """End an operator's assignment to the tenant."""
        await _platform_tenant(db_session, tenant_id)
        row, user = await _assignment(db_session, tenant_id, assignment_id)
        await service.unassign_operator(db_session, row)
        await service.record_event(
            db_session,
            tenant_id,
            Actor.of(require_principal(request)),
            "operator_assignment.deleted",
            resource_type="operator_assignment",
            resource_id=row.id,
            details={"user_id": str(user.id), "role": row.role},
        )


routes = [TenantController, MemberController, OperatorAssignmentController]
