"""Demo data for `make dev`: per tenant that subscribes to social insurance, its 事業所
record, an enrolment (被保険者整理番号) per employee, and the procedures of the latest
hire. e-Gov is the recording double (`DAIKO_EGOV=recording`). Idempotent: a tenant that
already has its 事業所 is left alone."""

from __future__ import annotations

import structlog
from sqlalchemy import select

from daiko.audit.service import SystemActor
from daiko.db.engine import Database
from daiko.employees.models import Employee
from daiko.ids import new_id
from daiko.social_insurance import repository as repo
from daiko.social_insurance import service
from daiko.social_insurance.models import SiEnrolment, SiOffice
from daiko.tenancy.models import Tenant
from daiko.tenancy.scope import scope_of_tenant

log = structlog.get_logger("daiko.social_insurance.demo")
ACTOR = SystemActor("demo.social_insurance", display="Demo data")


async def load(db: Database) -> None:
    async with db.global_session() as session:
        tenants = [
            (t.id, t.name)
            for t in (await session.execute(select(Tenant).order_by(Tenant.slug))).scalars()
            if "social_insurance" in (t.services or [])
        ]
    for tenant_id, name in tenants:
        async with db.session(scope_of_tenant(tenant_id)) as session:
            if await repo.office(session, tenant_id) is not None:
                continue
            session.add(
                SiOffice(
                    tenant_id=tenant_id,
                    id=new_id(),
                    prefecture_code="13",
                    area_code="01",
                    office_code="ﾀﾞｲｺ",
                    office_number="10001",
                    zip_code="1000005",
                    address="東京都千代田区丸の内1-1-1",
                    name=name[:50],
                    owner_name="代表　太郎",
                    phone="03-1234-5678",
                    koyo_office_number="1301-000001-1",
                )
            )
            employees = list(
                (
                    await session.execute(
                        select(Employee)
                        .where(Employee.tenant_id == tenant_id)
                        .order_by(Employee.hire_date, Employee.code)
                    )
                ).scalars()
            )
            for n, e in enumerate(employees, 1):
                session.add(
                    SiEnrolment(
                        tenant_id=tenant_id, id=new_id(), employee_id=e.id, insured_number=str(n)
                    )
                )
            await session.flush()
            if employees:
                latest = employees[-1]
                await service.on_life_event(
                    session,
                    tenant_id=tenant_id,
                    employee_id=latest.id,
                    event="hire",
                    event_date=latest.hire_date,
                    actor=ACTOR,
                    inputs={"weekly_hours": 40},
                )
        log.info("social insurance demo loaded", tenant=str(tenant_id))
