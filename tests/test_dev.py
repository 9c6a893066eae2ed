"""`daiko dev` end to end: it becomes ready, Ctrl-C stops every process it started, and
the data it keeps under the data directory survives a restart."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import asyncpg
import psutil
import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Dev:
    def __init__(self, data_dir: Path, port: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAIKO_")}
        env.update(DAIKO_DATA_DIR=str(data_dir), DAIKO_PORT=str(port), PYTHONUNBUFFERED="1")
        self.port = port
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daiko.cli", "dev"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("daiko dev exited:\n" + "".join(self.lines[-40:]))
            self.lines.append(line)
            m = re.search(pattern, line)
            if m:
                return m
        raise AssertionError(f"no {pattern!r} in time:\n" + "".join(self.lines[-40:]))

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=60)
        self.lines.append(out)
        return self.proc.returncode


async def _sql(url: str, *queries: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        rows: list[asyncpg.Record] = []
        for query in queries:
            rows = await conn.fetch(query)
        return rows
    finally:
        await conn.close()


def _descendants_alive(pid: int) -> list[str]:
    return [p.name() for p in psutil.process_iter() if p.pid != pid and _has_ancestor(p, pid)]


def _has_ancestor(proc: psutil.Process, pid: int) -> bool:
    try:
        return any(parent.pid == pid for parent in proc.parents())
    except psutil.Error:
        return False


def test_dev_runs_stops_cleanly_and_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    port = _free_port()
    dev = Dev(data_dir, port)
    try:
        dev.wait_for(r"Daiko is ready in")
        url = (
            dev.wait_for(r"database\s+(postgresql://\S+)")
            .group(1)
            .replace("postgres:***@", "postgres@")
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=5) as r:
            assert r.status == 200
        asyncio.run(
            _sql(url, "create table dev_marker (v text)", "insert into dev_marker values ('kept')")
        )
        children = [p.pid for p in psutil.Process(dev.proc.pid).children(recursive=True)]
        assert len(children) >= 3
    finally:
        code = dev.stop()
    assert code == 0, "".join(dev.lines[-30:])
    assert "stopped" in dev.lines[-1]
    assert not [
        pid
        for pid in children
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
    ]

    dev = Dev(data_dir, port)
    try:
        dev.wait_for(r"Daiko is ready in")
        rows = asyncio.run(_sql(url, "select v from dev_marker"))
        assert [r["v"] for r in rows] == ["kept"]
    finally:
        assert dev.stop() == 0
