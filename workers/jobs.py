"""One actor per job kind (`daiko.jobs.kinds.KINDS` names its actor, queue and limits).

Each actor is a shell: `daiko.jobs.runner.handle_message` claims the job or chunk in the
job's tenant scope, runs the domain handler and commits, or records the failure and
schedules the retry through the outbox. Dramatiq's own retries only cover the runner
failing to reach the database; the job's retry policy lives in the database.
"""

from __future__ import annotations

import uuid
from typing import Any

import dramatiq

from daiko.jobs.kinds import KINDS, JobKind
from daiko.jobs.runner import handle_message
from workers import runtime

# Past the kind's own time limit (enforced inside the runner, where the failure can be
# recorded), Dramatiq's is a backstop for a runner that hangs.
BACKSTOP_SECONDS = 30


def _actor_for(kind: JobKind) -> dramatiq.Actor[Any, Any]:
    spec = KINDS[kind]

    async def run(tenant_id: str, job_id: str, chunk_id: str | None = None) -> None:
        await handle_message(
            runtime().db,
            kind,
            uuid.UUID(tenant_id),
            uuid.UUID(job_id),
            uuid.UUID(chunk_id) if chunk_id else None,
        )

    run.__name__ = spec.actor
    actor: dramatiq.Actor[Any, Any] = dramatiq.actor(
        actor_name=spec.actor,
        queue_name=spec.queue.value,
        time_limit=int((spec.time_limit + BACKSTOP_SECONDS) * 1000),
        max_retries=5,
        min_backoff=1_000,
        max_backoff=60_000,
    )(run)
    return actor


ACTORS: dict[JobKind, dramatiq.Actor[Any, Any]] = {kind: _actor_for(kind) for kind in JobKind}
