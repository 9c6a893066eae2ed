"""Social-insurance job handlers (merged into `daiko.jobs.handlers` by kind).

- `social_insurance_review` builds a 算定基礎 or 月額変更 review list from approved payroll
  results (`review.build_review`).
- `social_insurance_file` renders a procedure's forms and data file, decrypting My
  Numbers only here (each decrypt audited with its purpose), stores them on the case,
  and with `submit` sends them through the e-Gov interface (`filing.file_procedure`).
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from daiko.jobs.handlers import Handler
from daiko.jobs.kinds import JobKind
from daiko.jobs.models import Job
from daiko.social_insurance import filing, review
from daiko.social_insurance import repository as repo


class ReviewPayload(msgspec.Struct, forbid_unknown_fields=True):
    review_id: uuid.UUID


class FilePayload(msgspec.Struct, forbid_unknown_fields=True):
    procedure_id: uuid.UUID
    submit: bool = False


async def run_review(session: AsyncSession, job: Job) -> dict[str, Any] | None:
    payload = msgspec.convert(job.payload, ReviewPayload)
    row = await repo.get_review(session, payload.review_id)
    if row is None or row.tenant_id != job.tenant_id:
        return {"skipped": "no such review"}
    counts = await review.build_review(session, row)
    return dict(counts)


async def run_file(session: AsyncSession, job: Job) -> dict[str, Any] | None:
    payload = msgspec.convert(job.payload, FilePayload)
    procedure = await repo.get_procedure(session, payload.procedure_id, for_update=True)
    if procedure is None or procedure.tenant_id != job.tenant_id:
        return {"skipped": "no such procedure"}
    if procedure.status not in ("draft", "ready", "returned"):
        return {"skipped": f"procedure is {procedure.status}"}
    return await filing.file_procedure(session, procedure, submit=payload.submit)


HANDLERS: dict[JobKind, Handler] = {
    JobKind.SOCIAL_INSURANCE_REVIEW: Handler(payload_type=ReviewPayload, run=run_review),
    JobKind.SOCIAL_INSURANCE_FILE: Handler(payload_type=FilePayload, run=run_file),
}
