"""Tables of the jobs machinery.

Tenant-owned (RLS): `jobs`, `job_chunks`, `sample_records`. Global: `outbox` (written in
the caller's tenant transaction, drained by the relay) and `scheduler_ticks` (one row per
periodic tick fired: the unique key makes a tick fire once even with two leaders).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from daiko.db.base import Base, TenantOwned, Timestamps
from daiko.tenancy import models as _tenancy_models  # noqa: F401  (foreign key targets)

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
CHUNK_STATUSES = ("queued", "running", "succeeded", "failed")
FINISHED = ("succeeded", "failed", "cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class Job(TenantOwned, Timestamps, Base):
    """A unit of background work the portal and console show with a progress bar."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        CheckConstraint("attempts >= 0 and max_attempts >= 1", name="attempts"),
        Index("ix_jobs_tenant_id_status", "tenant_id", "status"),
        Index("ix_jobs_tenant_id_kind", "tenant_id", "kind"),
        # The stale-lease sweep reads running rows across tenants.
        Index("ix_jobs_status_lease_until", "status", "lease_until"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    progress_done: Mapped[int] = mapped_column(Integer, server_default="0")
    progress_total: Mapped[int] = mapped_column(Integer, server_default="0")
    progress_message: Mapped[str | None] = mapped_column(Text)
    chunks_total: Mapped[int] = mapped_column(Integer, server_default="0")
    chunks_done: Mapped[int] = mapped_column(Integer, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    lease_until: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class JobChunk(TenantOwned, Timestamps, Base):
    """A slice of a batch job (items `item_start … item_start + item_count - 1`); retried
    alone; its completion is counted on the job in the same transaction as its effect."""

    __tablename__ = "job_chunks"
    __table_args__ = (
        CheckConstraint(_in("status", CHUNK_STATUSES), name="status"),
        ForeignKeyConstraint(
            ["tenant_id", "job_id"], ["jobs.tenant_id", "jobs.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("tenant_id", "job_id", "seq"),
        Index("ix_job_chunks_status_lease_until", "status", "lease_until"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_id: Mapped[uuid.UUID]
    seq: Mapped[int] = mapped_column(Integer)
    item_start: Mapped[int] = mapped_column(Integer)
    item_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A message to publish once the transaction that wrote it commits. Global: the
    relay drains it for every tenant; `available_at` delays retries without broker
    delays (RabbitMQ's consumer timeout breaks long delayed messages)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_available_at", "available_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    job_id: Mapped[uuid.UUID]
    chunk_id: Mapped[uuid.UUID | None]
    actor: Mapped[str] = mapped_column(String(128))
    queue: Mapped[str] = mapped_column(String(64))
    available_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SchedulerTick(Base):
    """One fired tick of a periodic job. The primary key is the proof: a tick fires once
    even if two schedulers believe they lead."""

    __tablename__ = "scheduler_ticks"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    tick: Mapped[datetime] = mapped_column(primary_key=True)
    fired_by: Mapped[str] = mapped_column(Text)
    fired_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SampleRecord(TenantOwned, Base):
    """One generated sample record: the effect of one item of a `sample_records` job.
    Unique per (job, item), so an item applied twice is impossible, not just unlikely."""

    __tablename__ = "sample_records"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "job_id"], ["jobs.tenant_id", "jobs.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("tenant_id", "job_id", "item_no"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    job_id: Mapped[uuid.UUID]
    item_no: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
