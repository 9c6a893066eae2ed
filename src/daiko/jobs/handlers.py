"""What each job kind does: domain services the runner calls, free of Dramatiq.

A handler validates its payload (at enqueue, so a bad payload is a 422, not a failed
job) and either runs whole (`run`) or plans chunks (`plan`) and runs one chunk at a time
(`run_chunk`). Chunk effects must be idempotent writes (unique key + `on conflict do
nothing`): the chunk's completion commits in the same transaction, and a fence on the
attempt number rejects a superseded worker, but the unique key is the last word.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.documents.tasks import DocumentVerifyPayload, run_document_verify
from daiko.errors import InvalidInput
from daiko.ids import new_id
from daiko.jobs.kinds import JobKind
from daiko.jobs.models import Job, JobChunk, SampleRecord


class DrillFailure(Exception):
    """A failure asked for by the payload (failure drills, tests)."""


@dataclass(frozen=True)
class ChunkPlan:
    item_start: int
    item_count: int


@dataclass(frozen=True)
class Handler:
    payload_type: type[msgspec.Struct]
    run: Callable[[AsyncSession, Job], Awaitable[dict[str, Any] | None]] | None = None
    plan: Callable[[Job], list[ChunkPlan]] | None = None
    run_chunk: Callable[[AsyncSession, Job, JobChunk], Awaitable[None]] | None = None

    @property
    def chunked(self) -> bool:
        return self.plan is not None

    def validate(self, payload: dict[str, Any] | None) -> dict[str, Any]:
        try:
            value = msgspec.convert(payload or {}, self.payload_type)
        except msgspec.ValidationError as exc:
            raise InvalidInput.field("payload", str(exc)) from None
        out: dict[str, Any] = msgspec.to_builtins(value)
        return out


# --- noop -------------------------------------------------------------------------------


class NoopPayload(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    sleep_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 0
    # Failure drill: fail the first N attempts.
    fail_attempts: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0


async def run_noop(session: AsyncSession, job: Job) -> dict[str, Any] | None:
    payload = msgspec.convert(job.payload, NoopPayload)
    if payload.sleep_ms:
        await asyncio.sleep(payload.sleep_ms / 1000)
    if job.attempts <= payload.fail_attempts:
        raise DrillFailure(f"failing attempt {job.attempts} as asked")
    return None


# --- sample_records ----------------------------------------------------------------------


class SampleRecordsPayload(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    count: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
    chunk_size: Annotated[int, msgspec.Meta(ge=1, le=5_000)] = 500
    label: Annotated[str, msgspec.Meta(max_length=100)] = "sample"
    # Load and failure drills: a pause per item, and one item failing the first N tries.
    item_delay_ms: Annotated[int, msgspec.Meta(ge=0, le=1_000)] = 0
    fail_item: Annotated[int, msgspec.Meta(ge=0)] | None = None
    fail_attempts: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0


def plan_sample_records(job: Job) -> list[ChunkPlan]:
    p = msgspec.convert(job.payload, SampleRecordsPayload)
    return [
        ChunkPlan(start, min(p.chunk_size, p.count - start))
        for start in range(0, p.count, p.chunk_size)
    ]


async def run_sample_records_chunk(session: AsyncSession, job: Job, chunk: JobChunk) -> None:
    p = msgspec.convert(job.payload, SampleRecordsPayload)
    items = range(chunk.item_start, chunk.item_start + chunk.item_count)
    for item in items:
        if p.item_delay_ms:
            await asyncio.sleep(p.item_delay_ms / 1000)
        if item == p.fail_item and chunk.attempts <= p.fail_attempts:
            raise DrillFailure(f"item {item} failed on attempt {chunk.attempts} as asked")
    rows = [
        {
            "tenant_id": job.tenant_id,
            "id": new_id(),
            "job_id": job.id,
            "item_no": item,
            "label": f"{p.label} {item}",
        }
        for item in items
    ]
    if rows:
        await session.execute(
            insert(SampleRecord)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["tenant_id", "job_id", "item_no"])
        )


HANDLERS: dict[JobKind, Handler] = {
    JobKind.NOOP: Handler(payload_type=NoopPayload, run=run_noop),
    JobKind.SAMPLE_RECORDS: Handler(
        payload_type=SampleRecordsPayload,
        plan=plan_sample_records,
        run_chunk=run_sample_records_chunk,
    ),
    JobKind.DOCUMENT_VERIFY: Handler(payload_type=DocumentVerifyPayload, run=run_document_verify),
}


# Domains keep their handlers beside their code: `daiko.<domain>.jobs` exports
# `HANDLERS: dict[JobKind, Handler]`, merged here on first use (late, to keep this module
# free of import cycles with the domains it serves).
DOMAIN_JOB_MODULES = (
    "daiko.employees.jobs",
    "daiko.payroll.jobs",
    "daiko.bookkeeping.jobs",
    "daiko.partners.jobs",
    "daiko.social_insurance.jobs",
)


def all_handlers() -> dict[JobKind, Handler]:
    if not _loaded:
        for name in DOMAIN_JOB_MODULES:
            if importlib.util.find_spec(name.rsplit(".", 1)[0]) is None:
                continue
            if importlib.util.find_spec(name) is None:
                continue
            HANDLERS.update(getattr(importlib.import_module(name), "HANDLERS", {}))
        _loaded.append(True)
    return HANDLERS


_loaded: list[bool] = []


def handler_of(kind: JobKind | str) -> Handler:
    return all_handlers()[JobKind(kind)]
