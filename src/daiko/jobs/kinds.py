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
    EMPLOYEE_IMPORT = "employee_import"
    ATTENDANCE_IMPORT = "attendance_import"
    PAYROLL_CALCULATE = "payroll_calculate"
    PAYROLL_OUTPUTS = "payroll_outputs"
    BOOKKEEPING_IMPORT = "bookkeeping_import"
    WEBHOOK_DELIVER = "webhook_deliver"
    SOCIAL_INSURANCE_REVIEW = "social_insurance_review"
    SOCIAL_INSURANCE_FILE = "social_insurance_file"


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
    JobKind.EMPLOYEE_IMPORT: KindSpec(
        actor="job_employee_import",
        queue=Queue.BATCH,
        time_limit=300,
        max_attempts=3,
        description="Writes a previewed, error-free employee file (CSV/XLSX) into the master.",
    ),
    JobKind.ATTENDANCE_IMPORT: KindSpec(
        actor="job_attendance_import",
        queue=Queue.BATCH,
        time_limit=300,
        max_attempts=3,
        description="Writes a previewed monthly attendance / variable-pay file.",
    ),
    JobKind.PAYROLL_CALCULATE: KindSpec(
        actor="job_payroll_calculate",
        queue=Queue.BATCH,
        time_limit=120,
        max_attempts=3,
        backoff_base=1.0,
        description="Calculates a payroll run, one chunk of employees per message.",
    ),
    JobKind.PAYROLL_OUTPUTS: KindSpec(
        actor="job_payroll_outputs",
        queue=Queue.DOCUMENTS,
        time_limit=600,
        max_attempts=3,
        runnable_by_operators=False,
        description="Renders an approved run's payslips, wage ledger and bank file.",
    ),
    JobKind.BOOKKEEPING_IMPORT: KindSpec(
        actor="job_bookkeeping_import",
        queue=Queue.BATCH,
        time_limit=600,
        max_attempts=3,
        description="Imports a bank, card or receipt statement into the bookkeeping ledger.",
    ),
    JobKind.WEBHOOK_DELIVER: KindSpec(
        actor="job_webhook_deliver",
        queue=Queue.WEBHOOKS,
        time_limit=30,
        max_attempts=8,
        backoff_base=5.0,
        backoff_cap=3600.0,
        runnable_by_operators=False,
        description="Delivers one webhook event to one subscription (signed, retried).",
    ),
    JobKind.SOCIAL_INSURANCE_REVIEW: KindSpec(
        actor="job_social_insurance_review",
        queue=Queue.BATCH,
        time_limit=300,
        max_attempts=3,
        description="Builds the 算定基礎 or 月額変更 review list from payroll results.",
    ),
    JobKind.SOCIAL_INSURANCE_FILE: KindSpec(
        actor="job_social_insurance_file",
        queue=Queue.DOCUMENTS,
        time_limit=120,
        max_attempts=5,
        runnable_by_operators=False,
        description="Renders a procedure's forms and data file and submits them to e-Gov.",
    ),
}


def spec_of(kind: JobKind | str) -> KindSpec:
    return KINDS[JobKind(kind)]


def kind_of_actor(actor: str) -> JobKind:
    for kind, spec in KINDS.items():
        if spec.actor == actor:
            return kind
    raise KeyError(actor)
