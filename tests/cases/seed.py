"""Rows in every cases table for tenants A and B (isolation tests and the route matrix).

Returns tenant A's case, checklist item and watcher for the route matrix; its write
routes take the minimal valid bodies below.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cases.models import (
    Case,
    CaseApproval,
    CaseChecklistItem,
    CaseDeliverable,
    CaseMessage,
    CaseStatusChange,
    CaseWatcher,
)
from daiko.documents.models import Document
from daiko.ids import new_id
from tests.factories import World

ROUTE_BODIES: dict[str, dict[str, object]] = {
    "POST /api/v1/cases": {"type": "inquiry", "title": "Matrix inquiry"},
    "POST /api/v1/cases/assign": {"case_ids": [str(uuid.UUID(int=1))], "auto": True},
    "PATCH /api/v1/cases/{case_id}": {"title": "Matrix title"},
    "POST /api/v1/cases/{case_id}/transitions": {"to": "accepted"},
    "POST /api/v1/cases/{case_id}/assignment": {"auto": True},
    "POST /api/v1/cases/{case_id}/messages": {"body": "Matrix message"},
    "POST /api/v1/cases/{case_id}/watchers": {},
    "POST /api/v1/cases/{case_id}/checklist": {"label": "Matrix input"},
    "POST /api/v1/cases/{case_id}/checklist/{checklist_item_id}/provide": {"value": "42"},
    "POST /api/v1/cases/{case_id}/deliverables": {"document_id": str(uuid.UUID(int=2))},
}


async def seed_case(
    engine: AsyncEngine,
    tenant_id: uuid.UUID,
    *,
    status: str = "submitted",
    prepared_by: uuid.UUID | None = None,
    requester_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    title: str = "Seeded case",
    type_: str = "inquiry",
) -> uuid.UUID:
    """A case in `status` with its creation in the history, written as the owner."""
    case_id = new_id()
    async with engine.begin() as conn:
        await conn.execute(
            insert(Case).values(
                tenant_id=tenant_id,
                id=case_id,
                type=type_,
                service="general" if type_ == "inquiry" else "payroll",
                title=title,
                status=status,
                prepared_by=prepared_by,
                requester_id=requester_id,
                assignee_id=assignee_id,
            )
        )
        await conn.execute(
            insert(CaseStatusChange).values(
                tenant_id=tenant_id,
                id=new_id(),
                case_id=case_id,
                from_status=None,
                to_status=status,
                actor_kind="system",
                actor_display="tests.seed",
            )
        )
    return case_id


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    params: dict[str, str] = {}
    for tenant in (world.tenant_a, world.tenant_b):
        member = tenant.users["client_member"]
        case_id = await seed_case(engine, tenant.id, status="submitted", requester_id=member.id)
        document_id = new_id()
        item_id = new_id()
        async with engine.begin() as conn:
            await conn.execute(
                insert(Document).values(
                    tenant_id=tenant.id,
                    id=document_id,
                    title="給与明細 2026-12",
                    classification="payslip",
                    retention_class="payroll_record",
                    retention_base_date=dt.date(2026, 12, 25),
                )
            )
            await conn.execute(
                insert(CaseWatcher).values(
                    tenant_id=tenant.id, id=new_id(), case_id=case_id, user_id=member.id
                )
            )
            await conn.execute(
                insert(CaseMessage).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    case_id=case_id,
                    visibility="internal",
                    body="Seeded internal note",
                    author_id=world.lead.id,
                )
            )
            await conn.execute(
                insert(CaseChecklistItem).values(
                    tenant_id=tenant.id,
                    id=item_id,
                    case_id=case_id,
                    label="勤怠データ",
                    kind="data",
                    required=True,
                )
            )
            await conn.execute(
                insert(CaseDeliverable).values(
                    tenant_id=tenant.id, id=new_id(), case_id=case_id, document_id=document_id
                )
            )
            await conn.execute(
                insert(CaseApproval).values(
                    tenant_id=tenant.id,
                    id=new_id(),
                    case_id=case_id,
                    decision="changes_requested",
                    approver_id=world.lead.id,
                    comment="Seeded review",
                )
            )
        if tenant is world.tenant_a:
            params = {
                "case_id": str(case_id),
                "checklist_item_id": str(item_id),
                "watcher_id": str(member.id),
            }
    return params
