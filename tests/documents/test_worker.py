"""One upload verified by a real `dramatiq workers` process: the API queues the job in
the completion's transaction, the relay publishes it, the worker's `document_verify`
actor reads the bytes from moto's S3 server and marks the version verified."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from daiko.config import Settings
from daiko.runtime import Runtime
from tests.documents.conftest import PDF, Flow
from tests.jobs.conftest import REPO, RelayTask, WorkerProcess, service_env, wait_for_status

pytestmark = [pytest.mark.slow, pytest.mark.broker]


class DocumentsWorker(WorkerProcess):
    """A worker consuming the documents queue (the jobs fixture listens elsewhere)."""

    def start(self) -> DocumentsWorker:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dramatiq",
                "workers",
                "--processes",
                "1",
                "--threads",
                "2",
                "--queues",
                "documents",
            ],
            cwd=REPO,
            env=service_env(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self


@pytest.fixture
def documents_worker(settings: Settings, tmp_path: Path) -> Iterator[DocumentsWorker]:
    worker = DocumentsWorker(settings, tmp_path / "worker.log").start()
    yield worker
    worker.stop()


@pytest.fixture
def store_kind() -> str:
    return "s3"  # the worker process builds its store from DAIKO_STORAGE_URL


async def test_worker_verifies_an_upload(
    flow: Flow, runtime: Runtime, owner_engine: AsyncEngine, documents_worker: DocumentsWorker
) -> None:
    relay = RelayTask(runtime, poll=0.2, sweep_every=0.5, queued_for=timedelta(seconds=30)).start()
    try:
        r = await flow.create()
        started = r.json()
        doc_id = started["document"]["id"]
        await flow.send_bytes(started["upload"], PDF)
        r = await flow.complete(doc_id)
        assert r.status_code == 202, r.text
        job = await wait_for_status(
            owner_engine, uuid.UUID(r.json()["job_id"]), describe=documents_worker.log
        )
    finally:
        await relay.stop()
    assert (job["status"], job["result"]) == ("succeeded", {"status": "verified"})
    async with owner_engine.connect() as conn:
        row = (
            await conn.execute(
                text("select status, sniffed_type from document_versions where document_id = :d"),
                {"d": doc_id},
            )
        ).one()
    assert tuple(row) == ("verified", "application/pdf")
