"""`daiko dev`: the whole system in one terminal on the embedded services.

Starts embedded PostgreSQL and Redis when their URLs are not set, migrates, applies
`tenants/*.yaml`, then runs api + workers + scheduler as child processes with prefixed,
coloured output. Ctrl-C stops the children (SIGTERM, then SIGKILL after a grace period)
and the embedded services; data under `.daiko/` is kept for the next run.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import IO

import click

from daiko.config import Settings, redact_url

COLOURS = {"api": "cyan", "worker": "magenta", "scheduler": "yellow"}
GRACE_SECONDS = 10.0


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]


def _pump(name: str, stream: IO[bytes], width: int) -> None:
    prefix = click.style(f"{name:<{width}} | ", fg=COLOURS.get(name, "white"))
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        click.echo(prefix + line)


def _spawn(name: str, args: list[str], env: dict[str, str], width: int) -> Child:
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    assert proc.stdout is not None
    threading.Thread(target=_pump, args=(name, proc.stdout, width), daemon=True).start()
    return Child(name, proc)


def _wait_ready(url: str, children: list[Child], timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(c.proc.poll() is not None for c in children):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (our own loopback URL)
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def _stop(children: list[Child]) -> None:
    for child in children:
        if child.proc.poll() is None:
            os.killpg(child.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            child.proc.wait(remaining)
        except subprocess.TimeoutExpired:
            os.killpg(child.proc.pid, signal.SIGKILL)
            child.proc.wait()


def _banner(settings: Settings, ready_s: float) -> None:
    from daiko.demo import demo_logins

    base = settings.base_url.rstrip("/")
    lines = [
        "",
        click.style(f"Daiko is ready in {ready_s:.1f} s", fg="green", bold=True),
        f"  portal     {base}/portal",
        f"  console    {base}/console",
        f"  API docs   {base}/api/docs",
        f"  health     {base}/health/ready",
        f"  database   {redact_url(settings.database_url)}",
        f"  broker     {redact_url(settings.broker_url)}",
        f"  storage    {settings.storage_url}",
    ]
    logins = demo_logins()
    if logins:
        lines.append(
            "  demo logins (password for all: " + click.style(logins[0][2], bold=True) + ")"
        )
        lines += [f"    {email:<32} {what}" for email, what, _ in logins]
    lines.append("  Ctrl-C stops everything; data stays under " + str(settings.data_dir) + "/")
    click.echo("\n".join(lines) + "\n")


def run_dev(settings: Settings, *, with_workers: bool = True) -> int:
    started = time.monotonic()
    if "base_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"base_url": f"http://127.0.0.1:{settings.port}"})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    services: list[object] = []
    updates: dict[str, object] = {}
    if settings.database_url is None:
        from daiko.embedded import DEV_DATABASE, start_postgres

        pg = start_postgres(settings.data_dir, stop_at_exit=True)
        pg.create_database(DEV_DATABASE)
        updates["database_url"] = pg.url(DEV_DATABASE)
        services.append(pg)
    if settings.broker_url is None:
        from daiko.embedded import start_redis

        redis = start_redis(settings.data_dir)
        updates["broker_url"] = redis.url
        services.append(redis)
    if settings.storage_url is None:
        updates["storage_url"] = (settings.data_dir.resolve() / "documents").as_uri()
    settings = settings.model_copy(update=updates)

    from daiko.db.migrate import upgrade
    from daiko.demo import load_demo

    click.echo("migrating …")
    asyncio.run(upgrade(settings))
    asyncio.run(load_demo(settings))

    env = dict(os.environ)
    env.update(
        {
            "DAIKO_DATABASE_URL": str(settings.database_url),
            "DAIKO_BROKER_URL": str(settings.broker_url),
            "DAIKO_STORAGE_URL": str(settings.storage_url),
            "DAIKO_PORT": str(settings.port),
            "DAIKO_BASE_URL": settings.base_url,
            "DAIKO_DATA_DIR": str(settings.data_dir.resolve()),
            "PYTHONUNBUFFERED": "1",
        }
    )
    py = sys.executable
    plan = [
        ("api", [py, "-m", "daiko.cli", "serve", "--port", str(settings.port)]),
        ("scheduler", [py, "-m", "daiko.cli", "scheduler"]),
    ]
    if with_workers:
        plan.insert(
            1, ("worker", [py, "-m", "dramatiq", "workers", "--processes", "1", "--threads", "4"])
        )
    width = max(len(name) for name, _ in plan)
    children = [_spawn(name, args, env, width) for name, args in plan]

    interrupted = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        interrupted.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        if _wait_ready(f"{settings.base_url.rstrip('/')}/health/ready", children):
            _banner(settings, time.monotonic() - started)
        elif not interrupted.is_set():
            click.secho("the system did not become ready; see the log above", fg="red", err=True)
            code = 1
            interrupted.set()
        while not interrupted.is_set():
            dead = [c for c in children if c.proc.poll() is not None]
            if dead:
                click.secho(
                    f"{dead[0].name} exited with {dead[0].proc.returncode}; stopping",
                    fg="red",
                    err=True,
                )
                code = 1
                break
            interrupted.wait(0.5)
    finally:
        click.echo("stopping …")
        _stop(children)
        for service in reversed(services):
            stop = getattr(service, "stop", None)
            if stop is not None:
                try:
                    stop()
                except Exception as exc:  # stopping is best effort; data is already safe
                    click.echo(f"warning: could not stop {type(service).__name__}: {exc}", err=True)
        click.echo("stopped")
    return code
