"""Child processes for the guarantee tests (run as `python -m tests.jobs.procs …`).

- `enqueue-and-die TENANT_ID`: an API-like process that enqueues a job, commits, prints
  the job id and is SIGKILLed before anything could publish it.
- `scheduler OUT_FILE`: a scheduler whose one periodic job fires every second and
  appends `tick holder` to OUT_FILE.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from datetime import datetime
from pathlib import Path

from daiko.config import get_settings
from daiko.jobs.kinds import JobKind
from daiko.jobs.service import enqueue
from daiko.runtime import Runtime
from daiko.scheduler import Periodic, holder_name, run_scheduler
from daiko.tenancy.scope import scope_of_tenant


async def enqueue_and_die(tenant_id: uuid.UUID) -> None:
    runtime = Runtime.from_settings(get_settings())
    async with runtime.db.session(scope_of_tenant(tenant_id)) as session:
        job = await enqueue(session, tenant_id, JobKind.NOOP, {})
    print(job.id, flush=True)  # noqa: T201
    os.kill(os.getpid(), signal.SIGKILL)  # between commit and any publish


def scheduler(out: Path) -> None:
    async def record(runtime: Runtime, tick: datetime) -> None:
        with out.open("a") as f:
            f.write(f"{tick.isoformat()} {holder_name()}\n")

    every_second = Periodic("test.every_second", "* * * * * *", run=record)
    asyncio.run(
        run_scheduler(get_settings(), periodic=[every_second], relay=False, tick_seconds=0.2)
    )


if __name__ == "__main__":
    if sys.argv[1] == "enqueue-and-die":
        asyncio.run(enqueue_and_die(uuid.UUID(sys.argv[2])))
    elif sys.argv[1] == "scheduler":
        scheduler(Path(sys.argv[2]))
