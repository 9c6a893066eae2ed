"""Rows in every social-insurance table for tenants A and B (isolation tests and the
route matrix); returns tenant A's procedure, review and review item."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.cases.models import Case
from daiko.documents.models import Document
from daiko.employees.models import Employee
from daiko.ids import new_id
from daiko.social_insurance.models import (
    SiDependent,
    SiEnrolment,
    SiOffice,
    SiProcedure,
    SiProcedureDocument,
    SiProcedureEvent,
    SiReview,
    SiReviewItem,
)
from tests.factories import World

ROUTE_BODIES: dict[str, dict[str, object]] = {
    "POST /api/v1/social-insurance/procedures": {
        "employee_id": str(uuid.UUID(int=1)),
        "event": "hire",
        "event_date": "2026-04-01",
    },
    "POST /api/v1/social-insurance/procedures/{procedure_id}/status": {"status": "arrived"},
    "POST /api/v1/social-insurance/procedures/{procedure_id}/filing": {"submit": False},
    "POST /api/v1/social-insurance/reviews": {"kind": "santei", "period": "2026"},
    "POST /api/v1/social-insurance/office": {
        "prefecture_code": "13",
        "area_code": "01",
        "office_code": "ｱｲｳ",
        "office_number": "12345",
        "zip_code": "1000001",
        "address": "東京都千代田区千代田1-1",
        "name": "株式会社マトリクス",
        "owner_name": "代表　一郎",
        "phone": "03-1234-5678",
    },
    "POST /api/v1/social-insurance/dependents": {
        "employee_id": str(uuid.UUID(int=1)),
        "family_name": "社保",
        "given_name": "一太",
        "family_name_kana": "シャホ",
        "given_name_kana": "イチタ",
        "birth_date": "2020-01-01",
        "relationship": "child",
        "started_on": "2026-04-01",
    },
    "POST /api/v1/social-insurance/reviews/{review_id}/items/{review_item_id}/decision": {
        "decision": "dismiss"
    },
}


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    params: dict[str, str] = {}
    for tenant in (world.tenant_a, world.tenant_b):
        tid = tenant.id
        employee_id, case_id, procedure_id = new_id(), new_id(), new_id()
        document_id, review_id, item_id = new_id(), new_id(), new_id()
        async with engine.begin() as conn:
            await conn.execute(
                insert(Employee).values(
                    tenant_id=tid,
                    id=employee_id,
                    code="SI-SEED",
                    family_name="社保",
                    given_name="花子",
                    family_name_kana="シャホ",
                    given_name_kana="ハナコ",
                    birth_date=dt.date(1988, 8, 8),
                    hire_date=dt.date(2026, 4, 1),
                    base_amount=250_000,
                    prefecture="13",
                )
            )
            await conn.execute(
                insert(SiOffice).values(
                    tenant_id=tid,
                    id=new_id(),
                    prefecture_code="13",
                    area_code="01",
                    office_code="ｱｲｳ",
                    office_number="12345",
                    zip_code="1000001",
                    address="東京都千代田区千代田1-1",
                    name=tenant.name,
                    owner_name="代表　一郎",
                    phone="03-1234-5678",
                )
            )
            await conn.execute(
                insert(SiEnrolment).values(
                    tenant_id=tid, id=new_id(), employee_id=employee_id, insured_number="7"
                )
            )
            await conn.execute(
                insert(SiDependent).values(
                    tenant_id=tid,
                    id=new_id(),
                    employee_id=employee_id,
                    family_name="社保",
                    given_name="一太",
                    family_name_kana="シャホ",
                    given_name_kana="イチタ",
                    birth_date=dt.date(2020, 1, 1),
                    relationship="child",
                    started_on=dt.date(2026, 4, 1),
                )
            )
            await conn.execute(
                insert(Case).values(
                    tenant_id=tid,
                    id=case_id,
                    type="si_hire",
                    service="social_insurance",
                    title="資格取得 SI-SEED",
                    status="submitted",
                    pay_date=dt.date(2026, 4, 1),
                )
            )
            await conn.execute(
                insert(SiProcedure).values(
                    tenant_id=tid,
                    id=procedure_id,
                    case_id=case_id,
                    employee_id=employee_id,
                    kind="shaho_acquisition",
                    event="hire",
                    event_date=dt.date(2026, 4, 1),
                    status="submitted",
                    due_date=dt.date(2026, 4, 6),
                    clock_started_on=dt.date(2026, 4, 1),
                )
            )
            await conn.execute(
                insert(SiProcedureEvent).values(
                    tenant_id=tid,
                    id=new_id(),
                    procedure_id=procedure_id,
                    to_status="submitted",
                    actor_display="tests.seed",
                )
            )
            await conn.execute(
                insert(Document).values(
                    tenant_id=tid,
                    id=document_id,
                    title="資格取得届",
                    classification="filing",
                    retention_class="payroll_record",
                    retention_base_date=dt.date(2026, 4, 1),
                )
            )
            await conn.execute(
                insert(SiProcedureDocument).values(
                    tenant_id=tid,
                    id=new_id(),
                    procedure_id=procedure_id,
                    kind="form_pdf",
                    document_id=document_id,
                    filename="shaho_acquisition.pdf",
                    sha256="0" * 64,
                )
            )
            await conn.execute(
                insert(SiReview).values(
                    tenant_id=tid, id=review_id, kind="santei", period="2026", status="open"
                )
            )
            await conn.execute(
                insert(SiReviewItem).values(
                    tenant_id=tid,
                    id=item_id,
                    review_id=review_id,
                    employee_id=employee_id,
                    status="proposed",
                    current_health=240_000,
                    current_pension=240_000,
                    new_health=260_000,
                    new_pension=260_000,
                    average=255_000,
                    effective_month=dt.date(2026, 9, 1),
                )
            )
        if tenant is world.tenant_a:
            params = {
                "procedure_id": str(procedure_id),
                "review_id": str(review_id),
                "review_item_id": str(item_id),
            }
    return params
