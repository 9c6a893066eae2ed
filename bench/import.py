"""Bank statement import: a 1,000,000-line CSV through the real import path, beside a raw
COPY of the same parsed rows, in the same run.

Data: a 三菱UFJ-layout CSV (cp932, quoted cells, amounts with thousands separators, a
year of dates, half-width kana counterparties) generated here; 20 categorisation rules,
two of which match some lines. Scratch database built by the real migrations; one tenant.

- import: `daiko.bookkeeping.imports.service.stage_and_move` in a tenant-scoped session
  as `daiko_app` (RLS applies): decode + parse every row, match rules, COPY in batches of
  20,000 into the temporary stage, `INSERT … SELECT` into `bookkeeping_statement_lines`
  (its policy, primary key, unique key, queue index and foreign keys), commit. The server
  moves batch k while this process parses batch k+1, so the two use both cores; on a
  loaded machine the ratio falls further than the COPY does.
- baseline: the rows already parsed (not timed), COPY'd by the owner with
  `copy_records_to_table` in the same batches into `bench_copy`, a table shaped like
  `bookkeeping_statement_lines` with its indexes but no policy and no foreign keys; commit.

Goal: import ≥ 30 % of the COPY rate.

Then booking: the first `BENCH_POSTS` (200) rule-matched lines one at a time through
`record_entry` (as a line booked by hand is), and every other matched line as the import
job books them, `post_matched` → `record_entries` (chunks of 5,000 entries: COPY into
temporary tables + INSERT … SELECT as `daiko_app` under RLS, the ledger's guard and
balance triggers checked before it returns, the statement lines marked posted), commit
included. Its baseline: the entry and line rows it wrote, read back and COPY'd raw by the
owner into `bench_entries` / `bench_lines` (shaped like `journal_entries` /
`journal_lines` with their indexes, no policy, foreign keys or triggers), one
transaction; the ratio compares entries/s.

    uv run python bench/import.py                    # embedded PostgreSQL
    BENCH_LINES=200000 uv run python bench/import.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from daiko.bookkeeping.accounts import ensure_chart
from daiko.bookkeeping.imports import repository as repo
from daiko.bookkeeping.imports import service
from daiko.bookkeeping.imports.layouts import LAYOUTS
from daiko.bookkeeping.imports.models import ImportBatch
from daiko.bookkeeping.imports.parsers import ParsedLine, parse
from daiko.bookkeeping.imports.rules import Rule, RuleSet
from daiko.bookkeeping.models import JournalEntry, JournalLine
from daiko.config import load_settings
from daiko.db.engine import Database
from daiko.db.migrate import upgrade
from daiko.ids import new_id
from daiko.tenancy.scope import scope_of_tenant

LINES = int(os.environ.get("BENCH_LINES", "1000000"))
GOAL = 0.30
POSTS = int(os.environ.get("BENCH_POSTS", "200"))
HEADER = (
    '"日付","摘要","摘要内容","支払い金額","預かり金額","差引残高","メモ",'
    '"未資金化区分","入払区分"\r\n'
)
PARTIES = [
    "ﾄｳｷﾖｳﾃﾞﾝﾘﾖｸ",
    "ｴﾇﾃｲﾃｲ ﾋｶﾞｼﾆﾎﾝ",
    "ｶ)ｻﾝﾌﾟﾙｼﾖｳｼﾞ",
    "ﾔﾏﾀﾞ ﾀﾛｳ",
    "ｱﾏｿﾞﾝ ｼﾞﾔﾊﾟﾝ",
    "ﾕ)ﾃｽﾄｺｳｷﾞﾖｳ",
    "ｺｸﾐﾝｹﾝｺｳﾎｹﾝ",
    "",
]
SUMMARIES = ["振込", "カード", "口座振替", "手数料", "振込ＩＢ１", "デビット１"]


def server_url() -> str:
    url = os.environ.get("DAIKO_DATABASE_URL")
    if url:
        return url
    from daiko.embedded import start_postgres

    return start_postgres(Path(".daiko"), stop_at_exit=True).url("postgres")


def generate(lines: int) -> bytes:
    start = date(2025, 4, 1)
    out = [HEADER]
    balance = 10**12  # never negative: a negative balance takes the slower sign path
    for i in range(lines):
        day = start + timedelta(days=i * 365 // lines)
        amount = 1_000 + (i * 7919) % 500_000
        party = PARTIES[i % len(PARTIES)]
        summary = SUMMARIES[i % len(SUMMARIES)]
        if i % 5 == 0:
            balance += amount
            paid, received, kind = "", f"{amount:,}", "入金"
        else:
            balance -= amount
            paid, received, kind = f"{amount:,}", "", "支払い"
        out.append(
            f'"{day.year}/{day.month}/{day.day}","{summary}","{party}","{paid}","{received}",'
            f'"{balance:,}","","","{kind}"\r\n'
        )
    return "".join(out).encode("cp932")


def rules() -> RuleSet:
    found = [
        Rule(new_id(), "counterparty", "contains", f"ﾄﾘﾋｷｻｷ{n}", "any", "6173", "out_of_scope", n)
        for n in range(18)
    ]
    found.append(
        Rule(
            new_id(), "counterparty", "contains", "トウキヨウデンリヨク", "out", "6174",
            "taxable_purchase_10", 100,
        )
    )  # fmt: skip
    found.append(
        Rule(new_id(), "description", "prefix", "手数料", "out", "6190", "taxable_purchase_10", 90)
    )
    return RuleSet(found)


async def main() -> int:
    server = make_url(server_url()).set(drivername="postgresql+asyncpg")
    name = f"daiko_bench_import_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'create database "{name}"')
        version = (await conn.exec_driver_sql("show server_version")).scalar()
    url = server.set(database=name).render_as_string(hide_password=False)
    settings = load_settings(database_url=url, log_level="WARNING", env="test")
    print(f"PostgreSQL {version} at {server.render_as_string(hide_password=True)}, db {name}")
    db = Database(settings)
    owner = create_async_engine(server.set(database=name))
    try:
        await upgrade(settings)
        tenant_id = new_id()
        async with owner.begin() as conn:
            await conn.execute(
                text(
                    "insert into tenants (id, slug, name, name_kana, corporate_number,"
                    " prefecture, services) values (:id, 'bench', 'ベンチ', 'ベンチ',"
                    " '0000000000001', '13', '{bookkeeping}')"
                ),
                {"id": tenant_id},
            )
            for copy, table in (
                ("bench_copy", "bookkeeping_statement_lines"),
                ("bench_entries", "journal_entries"),
                ("bench_lines", "journal_lines"),
            ):
                await conn.execute(
                    text(f"create table {copy} (like {table} including defaults including indexes)")
                )
        started = time.perf_counter()
        data = generate(LINES)
        print(f"generated {LINES:,} lines, {len(data) / 1e6:.1f} MB cp932, "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        mapping = LAYOUTS["mufg"].mapping
        ruleset = rules()
        async with db.session(scope_of_tenant(tenant_id)) as s:
            await ensure_chart(s, tenant_id)
            batch = ImportBatch(
                tenant_id=tenant_id,
                kind="bank",
                layout="mufg",
                filename="bench.csv",
                account_code="1130",
                status="queued",
            )
            s.add(batch)
            await s.flush()
            batch_id = batch.id

        # --- import: the real path, as daiko_app under RLS ---------------------------
        started = time.perf_counter()
        async with db.session(scope_of_tenant(tenant_id)) as s:
            outcome = await service.stage_and_move(
                s,
                tenant_id=tenant_id,
                batch_id=batch_id,
                data=data,
                mapping=mapping,
                rules=ruleset,
                skip_invalid=False,
            )
        import_s = time.perf_counter() - started

        # --- baseline: raw COPY of the same rows, already parsed ---------------------
        parsed = [p for p in parse(data, mapping) if isinstance(p, ParsedLine)]
        records = [
            (tenant_id, new_id(), batch_id, *p[:8], "unmatched", None, None, None) for p in parsed
        ]
        columns = (
            "tenant_id", "id", "batch_id", "line_no", "txn_date", "description",
            "counterparty", "amount", "balance", "tax_rate", "memo", "status", "rule_id",
            "account_code", "tax_category",
        )  # fmt: skip
        raw = await create_async_engine(server.set(database=name)).connect()
        try:
            apg = (await raw.get_raw_connection()).driver_connection
            assert apg is not None
            started = time.perf_counter()
            async with apg.transaction():
                for at in range(0, len(records), service.COPY_BATCH):
                    await apg.copy_records_to_table(
                        "bench_copy",
                        records=records[at : at + service.COPY_BATCH],
                        columns=columns,
                    )
            copy_s = time.perf_counter() - started
        finally:
            await raw.close()

        # --- booking: a few lines one record_entry each, then the rest as the job does
        started = time.perf_counter()
        async with db.session(scope_of_tenant(tenant_id)) as s:
            loaded = await repo.get_batch(s, batch_id, errors=False)
            assert loaded is not None
            for r in await repo.lines_to_post(s, tenant_id, batch_id, after=0, limit=POSTS):
                line = await repo.get_line(s, r.id)
                assert line is not None
                await service.post_line(s, loaded, line, account_code=r.account_code,
                                        tax_category=r.tax_category, created_by=None)  # fmt: skip
        one_s = time.perf_counter() - started
        started = time.perf_counter()
        async with db.session(scope_of_tenant(tenant_id)) as s:
            loaded = await repo.get_batch(s, batch_id, errors=False)
            assert loaded is not None
            booked = await service.post_matched(s, loaded, created_by=None)
        book_s = time.perf_counter() - started

        # --- its baseline: the same entry and line rows, raw COPY ----------------------
        raw = await create_async_engine(server.set(database=name)).connect()
        try:
            apg = (await raw.get_raw_connection()).driver_connection
            assert apg is not None
            await apg.execute(f"set daiko.tenant_ids = '{tenant_id}'")
            ecols = [c.name for c in JournalEntry.__table__.columns]
            lcols = [c.name for c in JournalLine.__table__.columns]
            entry_rows = [tuple(r) for r in await apg.fetch(
                f"select {', '.join(ecols)} from journal_entries"
                f" where source_kind = 'bank_statement' and number > {POSTS} order by number"
            )]  # fmt: skip
            line_rows = [tuple(r) for r in await apg.fetch(
                f"select {', '.join('l.' + c for c in lcols)} from journal_lines l join"
                " journal_entries e on e.tenant_id = l.tenant_id and e.id = l.entry_id"
                f" where e.number > {POSTS} order by e.number, l.line_no"
            )]  # fmt: skip
            started = time.perf_counter()
            async with apg.transaction():
                for at in range(0, len(entry_rows), service.BOOK_CHUNK):
                    await apg.copy_records_to_table(
                        "bench_entries", records=entry_rows[at : at + service.BOOK_CHUNK],
                        columns=ecols,
                    )  # fmt: skip
                for at in range(0, len(line_rows), 3 * service.BOOK_CHUNK):
                    await apg.copy_records_to_table(
                        "bench_lines", records=line_rows[at : at + 3 * service.BOOK_CHUNK],
                        columns=lcols,
                    )  # fmt: skip
            entry_copy_s = time.perf_counter() - started
        finally:
            await raw.close()

        async with owner.connect() as conn:
            await conn.execute(text("select set_config('daiko.tenant_ids', :t, false)"),
                               {"t": str(tenant_id)})  # fmt: skip
            imported = (
                await conn.execute(text("select count(*) from bookkeeping_statement_lines"))
            ).scalar_one()
            matched = (
                await conn.execute(
                    text(
                        "select count(*) from bookkeeping_statement_lines where rule_id is not null"
                    )
                )
            ).scalar_one()
            copied = (await conn.execute(text("select count(*) from bench_copy"))).scalar_one()
        import_rate = imported / import_s
        copy_rate = copied / copy_s
        ratio = import_rate / copy_rate
        print(f"\n{'':42} {'lines':>10} {'seconds':>8} {'lines/s':>10}")
        print(f"{'import (parse+rules+COPY stage+INSERT…SELECT)':42} {imported:>10,} "
              f"{import_s:>8.2f} {import_rate:>10,.0f}")  # fmt: skip
        print(f"{'raw COPY of the parsed rows (owner, no RLS)':42} {copied:>10,} "
              f"{copy_s:>8.2f} {copy_rate:>10,.0f}")  # fmt: skip
        print(f"\nimport / COPY = {ratio:.2f} (goal ≥ {GOAL:.2f}); rule-matched lines: "
              f"{matched:,} (stage_and_move counted {outcome.matched:,})")  # fmt: skip
        book_rate = booked / book_s
        entry_copy_rate = len(entry_rows) / entry_copy_s
        print(
            f"\n{'booking rule-matched lines':42} {'entries':>10} {'seconds':>8} {'entries/s':>10}"
        )
        print(f"{'one at a time (record_entry)':42} {POSTS:>10,} {one_s:>8.2f} "
              f"{POSTS / one_s:>10,.0f}")  # fmt: skip
        print(f"{'the job (post_matched → record_entries)':42} {booked:>10,} {book_s:>8.2f} "
              f"{book_rate:>10,.0f}")  # fmt: skip
        print(f"{'raw COPY of those entries + lines (owner)':42} {len(entry_rows):>10,} "
              f"{entry_copy_s:>8.2f} {entry_copy_rate:>10,.0f}")  # fmt: skip
        print(f"\nbooking / COPY = {book_rate / entry_copy_rate:.2f} ({len(line_rows):,} lines "
              f"for {len(entry_rows):,} entries); every matched line booked: "
              f"{POSTS + booked == matched}")  # fmt: skip
        if (
            imported != LINES
            or copied != LINES
            or matched != outcome.matched
            or POSTS + booked != matched
            or len(entry_rows) != booked
        ):
            print("error: every line must be imported and copied exactly once", file=sys.stderr)
            return 1
        return 0 if ratio >= GOAL else 2
    finally:
        await db.dispose()
        await owner.dispose()
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'drop database if exists "{name}" with (force)')
        await admin.dispose()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
