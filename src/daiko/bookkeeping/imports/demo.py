"""Demo statement imports (`make dev`): for every demo tenant with bookkeeping, three rules
and one imported 三菱UFJ October statement, so the console shows booked lines, a queue
of unmatched ones and rules with hits. Idempotent: a tenant that has the demo file is
left alone."""

from __future__ import annotations

import structlog
from sqlalchemy import select

from daiko.bookkeeping.imports import service
from daiko.bookkeeping.imports.layouts import LAYOUTS
from daiko.bookkeeping.imports.models import ImportBatch
from daiko.db.engine import Database
from daiko.tenancy.models import Tenant
from daiko.tenancy.scope import scope_of_tenant

log = structlog.get_logger("daiko.bookkeeping.imports.demo")
FILENAME = "demo-mufg-2026-10.csv"
STATEMENT = (
    '"日付","摘要","摘要内容","支払い金額","預かり金額","差引残高","メモ","未資金化区分","入払区分"\r\n'
    '"2026/10/1","振込","ｶ)ｻﾝﾌﾟﾙｼﾖｳｼﾞ","","550,000","5,550,000","","","入金"\r\n'
    '"2026/10/5","口座振替","ﾄｳｷﾖｳﾃﾞﾝﾘﾖｸ","12,100","","5,537,900","","","支払い"\r\n'
    '"2026/10/6","口座振替","ｴﾇﾃｲﾃｲﾋｶﾞｼﾆﾎﾝ","8,800","","5,529,100","","","支払い"\r\n'
    '"2026/10/10","振込ＩＢ１","ﾔﾏﾄｳﾝﾕ(ｶ","3,300","","5,525,800","","","振替支払い"\r\n'
    '"2026/10/10","手数料","","440","","5,525,360","","","支払い"\r\n'
    '"2026/10/15","カード","ｱｽｸﾙ","5,500","","5,519,860","","","支払い"\r\n'
    '"2026/10/25","振込","ﾀﾅｶ ｼﾞﾛｳ","","33,000","5,552,860","","","入金"\r\n'
)
RULES = (
    ("counterparty", "トウキヨウデンリヨク", "out", "6174", "taxable_purchase_10"),
    ("counterparty", "エヌテイテイ", "out", "6170", "taxable_purchase_10"),
    ("description", "手数料", "out", "6190", "taxable_purchase_10"),
)


async def load(db: Database) -> None:
    async with db.global_session() as session:
        tenants = list(
            (
                await session.execute(
                    select(Tenant).where(Tenant.status == "active").order_by(Tenant.slug)
                )
            ).scalars()
        )
    for tenant in tenants:
        if "bookkeeping" not in (tenant.services or []):
            continue
        async with db.session(scope_of_tenant(tenant.id)) as s:
            done = await s.execute(
                select(ImportBatch.id)
                .where(ImportBatch.tenant_id == tenant.id, ImportBatch.filename == FILENAME)
                .limit(1)
            )
            if done.first() is not None:
                continue
            for field, pattern, direction, account, category in RULES:
                await service.upsert_rule(
                    s,
                    tenant_id=tenant.id,
                    name=f"{pattern} → {account}",
                    match_field=field,
                    match_kind="contains",
                    pattern=pattern,
                    direction=direction,
                    account_code=account,
                    tax_category=category,
                    priority=100,
                    source="manual",
                    created_by=None,
                )
            layout = LAYOUTS["mufg"]
            batch, _ = await service.create_batch(
                s,
                tenant_id=tenant.id,
                data=STATEMENT.encode("cp932"),
                filename=FILENAME,
                resolved=service.Resolved(layout.name, layout.kind, layout.mapping),
                account_code="1130",
                created_by=None,
            )
            batch.status = "queued"
            await s.flush()
            await service.run_import(s, batch.id)
        log.info("demo statement imported", tenant=tenant.slug)
