"""API shapes of jobs (msgspec structs). `progress` carries what a progress bar needs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from daiko.jobs.models import Job, JobChunk


class Progress(msgspec.Struct):
    done: int
    total: int
    percent: int
    message: str | None


class ChunkCounts(msgspec.Struct):
    total: int
    done: int


class JobOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    kind: str
    status: str
    progress: Progress
    chunks: ChunkCounts
    attempts: int
    max_attempts: int
    last_error: str | None
    result: dict[str, Any] | None
    payload: dict[str, Any]
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        total = job.progress_total
        percent = (
            100 if job.status == "succeeded" else (job.progress_done * 100 // total if total else 0)
        )
        return cls(
            id=job.id,
            tenant_id=job.tenant_id,
            kind=job.kind,
            status=job.status,
            progress=Progress(job.progress_done, total, percent, job.progress_message),
            chunks=ChunkCounts(job.chunks_total, job.chunks_done),
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            last_error=job.last_error,
            result=job.result,
            payload=job.payload,
            created_by=job.created_by,
            created_at=job.created_at,
            updated_at=job.updated_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class JobPage(msgspec.Struct):
    items: list[JobOut]
    # Pass as `before` for the next (older) page; null on the last page.
    next_before: uuid.UUID | None


class JobCreate(msgspec.Struct, forbid_unknown_fields=True):
    tenant_id: uuid.UUID
    kind: str
    payload: dict[str, Any] = msgspec.field(default_factory=dict)


class ChunkOut(msgspec.Struct):
    id: uuid.UUID
    seq: int
    item_start: int
    item_count: int
    status: str
    attempts: int
    last_error: str | None
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, chunk: JobChunk) -> ChunkOut:
        return cls(
            id=chunk.id,
            seq=chunk.seq,
            item_start=chunk.item_start,
            item_count=chunk.item_count,
            status=chunk.status,
            attempts=chunk.attempts,
            last_error=chunk.last_error,
            started_at=chunk.started_at,
            finished_at=chunk.finished_at,
        )
