"""Rows in every bookkeeping-import table for tenants A and B (isolation tests and the
route matrix): a saved mapping, a previewed batch with its file, an unmatched statement
line and a rule. Returns tenant A's ids; write routes take the bodies below."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from daiko.bookkeeping.accounts import ensure_chart
from daiko.bookkeeping.imports.models import (
    CategorisationRule,
    ImportBatch,
    ImportFile,
    ImportMapping,
    StatementLine,
)
from daiko.ids import new_id
from tests.factories import World

ROUTE_BODIES: dict[str, dict[str, object]] = {
    "POST /api/v1/bookkeeping/imports/{batch_id}/confirm": {"skip_invalid": False},
    "POST /api/v1/bookkeeping/unmatched/{line_id}/categorise": {
        "account_code": "6174",
        "tax_category": "taxable_purchase_10",
    },
    "PATCH /api/v1/bookkeeping/rules/{rule_id}": {"priority": 5},
}

FILE = '"日付","内容","出金金額(円)","入金金額(円)","残高(円)","メモ"\r\n"2026/05/01","ﾃﾞﾝｷﾀﾞｲ","3,300",,"96,700","-"\r\n'.encode(
    "cp932"
)


@asynccontextmanager
async def scoped(engine: AsyncEngine, tenant_id: UUID) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engine, expire_on_commit=False) as s, s.begin():
        await s.execute(
            text("select set_config('daiko.tenant_ids', :t, true)"), {"t": str(tenant_id)}
        )
        yield s


async def seed(engine: AsyncEngine, world: World) -> dict[str, str]:
    out: dict[str, str] = {}
    for tenant in (world.tenant_a, world.tenant_b):
        tid = tenant.id
        async with scoped(engine, tid) as s:
            await ensure_chart(s, tid)
            mapping = ImportMapping(
                tenant_id=tid,
                id=new_id(),
                name="Seeded mapping",
                kind="bank",
                mapping={"date": 1, "description": 2, "amount": 3},
            )
            batch = ImportBatch(
                tenant_id=tid,
                id=new_id(),
                kind="bank",
                layout="sbi_sumishin",
                filename="seed.csv",
                encoding="cp932",
                account_code="1130",
                status="previewed",
                line_count=1,
                error_count=0,
                errors=[],
            )
            s.add_all([mapping, batch])
            await s.flush()
            line = StatementLine(
                tenant_id=tid,
                id=new_id(),
                batch_id=batch.id,
                line_no=2,
                txn_date=date(2026, 5, 1),
                description="ﾃﾞﾝｷﾀﾞｲ",
                counterparty="",
                amount=-3300,
                status="unmatched",
            )
            rule = CategorisationRule(
                tenant_id=tid,
                id=new_id(),
                name="電話代",
                match_field="description",
                match_kind="contains",
                pattern="ﾃﾞﾝﾜ",
                direction="out",
                account_code="6170",
                tax_category="taxable_purchase_10",
                priority=100,
            )
            s.add_all(
                [
                    ImportFile(tenant_id=tid, id=batch.id, content=FILE, size=len(FILE), sha256=""),
                    line,
                    rule,
                ]
            )
            await s.flush()
            if tenant is world.tenant_a:
                out = {
                    "batch_id": str(batch.id),
                    "line_id": str(line.id),
                    "rule_id": str(rule.id),
                    "mapping_id": str(mapping.id),
                }
    return out
