"""Every job kind has a handler, and an actor on its queue in the `workers` package."""

from __future__ import annotations

import json
import subprocess
import sys

from daiko.config import Settings
from daiko.jobs.handlers import all_handlers
from daiko.jobs.kinds import KINDS, JobKind, Queue, kind_of_actor
from tests.jobs.conftest import REPO, service_env

PROBE = """
import json, dramatiq, workers
broker = dramatiq.get_broker()
print(json.dumps({name: broker.get_actor(name).queue_name for name in broker.get_declared_actors()}))
"""


def test_every_kind_has_a_spec_and_a_handler() -> None:
    assert set(KINDS) == set(JobKind)
    assert set(all_handlers()) == set(JobKind)
    assert len({spec.actor for spec in KINDS.values()}) == len(KINDS)
    for kind, spec in KINDS.items():
        assert kind_of_actor(spec.actor) is kind
        assert spec.queue in Queue
        assert spec.time_limit > 0
        assert spec.max_attempts >= 1


def test_every_kind_has_an_actor_on_its_queue(settings: Settings) -> None:
    """Imports `workers` as `dramatiq workers` does (its own process, real broker URL)."""
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=service_env(settings),
        capture_output=True,
        timeout=60,
        check=True,
    )
    actors = json.loads(probe.stdout.decode().strip().splitlines()[-1])
    assert {spec.actor: spec.queue.value for spec in KINDS.values()}.items() <= actors.items()


def test_backoff_is_exponential_and_capped() -> None:
    spec = KINDS[JobKind.SAMPLE_RECORDS]
    assert [spec.backoff(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert spec.backoff(30) == spec.backoff_cap
