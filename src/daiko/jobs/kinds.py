"""Every job kind, named once. The API, the CLI and domain code enqueue by `JobKind`; the
relay publishes to the actor and queue named here; `workers/` registers one actor per
kind (a test checks none is missing). Queues are split so a big batch never starves
webhooks or document checks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Queue(StrEnum):
    DEFAULT = "default"
    BATCH = "batch"
    DOCUMENTS = "documents"
    WEBHOOKS = "webhooks"


class JobKind(StrEnum):
    NOOP = "noop"
    SAMPLE_RECORDS = "sample_records"
    DOCUMENT_VERIFY = "document_verify"


@dataclass(frozen=True)
class KindSpec:
    """How a kind runs. `time_limit` bounds one message (a whole job, or one chunk of a
    chunked job) in seconds; the lease a worker takes is that plus `LEASE_GRACE`, so a
    live worker never loses its lease. `max_attempts` counts tries per job or per chunk;
    retries wait `backoff_base * 2**(attempt-1)` seconds, capped at `backoff_cap`."""

    actor: str
    queue: Queue
    time_limit: float
    max_attempts: int
    backoff_base: float = 2.0
    backoff_cap: float = 300.0
    runnable_by_operators: bool = True
    description: str = ""

    def backoff(self, attempt: int) -> float:
        return float(min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempt - 1)))

    @property
    def lease_seconds(self) -> float:
        return self.time_limit + LEASE_GRACE


LEASE_GRACE = 2.0

KINDS: dict[JobKind, KindSpec] = {
    JobKind.NOOP: KindSpec(
        actor="job_noop",
        queue=Queue.DEFAULT,
        time_limit=30,
        max_attempts=3,
        description="Does nothing; measures the machinery (benchmarks, smoke tests).",
    ),
    JobKind.SAMPLE_RECORDS: KindSpec(
        actor="job_sample_records",
        queue=Queue.BATCH,
        time_limit=5,
        max_attempts=3,
        backoff_base=0.5,
        backoff_cap=30,
        description=(
            "Generates `count` sample records for the tenant in chunks of `chunk_size`, "
            "one row per item (demo data and load drills)."
        ),
    ),
    JobKind.DOCUMENT_VERIFY: KindSpec(
        actor="job_document_verify",
        queue=Queue.DOCUMENTS,
        time_limit=120,
        max_attempts=5,
        runnable_by_operators=False,
        description=(
            "Checks a document version's stored bytes (size, SHA-256, sniffed type, "
            "archive limits): verified or quarantined."
        ),
    ),
}


def spec_of(kind: JobKind | str) -> KindSpec:
    return KINDS[JobKind(kind)]


def kind_of_actor(actor: str) -> JobKind:
    for kind, spec in KINDS.items():
        if spec.actor == actor:
            return kind
    raise KeyError(actor)
