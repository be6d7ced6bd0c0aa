"""Start a real Celery worker process against the test database and Redis.

`beat=True` runs the beat scheduler in the worker (the periodic sweep). Use from a
`@pytest.mark.django_db(transaction=True)` test (the worker is
another process: it sees only committed rows):

    with celery_worker(env={"OFFER_TIMEOUT_SECONDS": "2"}) as worker:
        ...  # enqueue with the test process's eager mode switched off

The worker gets the *test* database's URL, the test's REDIS_URL, and
CRISIS_EMBEDDED=1 so it needs no SECRET_KEY. The queue is purged before the
worker starts, and the worker is stopped by its PID on the way out, always.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 60.0


@dataclass
class WorkerHandle:
    pid: int
    name: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def test_database_url() -> str:
    s = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("A worker process needs a database it can share: run with DATABASE_URL=postgres://...")
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


def purge_queues(redis_url: str, queue: str) -> None:
    """Drop queued and unacknowledged messages left by an earlier run (acks_late would redeliver them)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.delete(queue, "unacked", "unacked_index", "unacked_mutex")


def celery_binary() -> str:
    candidate = Path(sys.executable).parent / "celery"
    return str(candidate if candidate.exists() else ROOT / ".venv" / "bin" / "celery")


@contextlib.contextmanager
def celery_worker(
    *,
    env: dict[str, str] | None = None,
    queue: str | None = None,
    pool: str = "solo",
    imports: tuple[str, ...] = (),
    beat: bool = False,
) -> Iterator[WorkerHandle]:
    from crisis.celery import app

    redis_url = settings.REDIS_URL
    if not redis_url:
        raise RuntimeError("A worker test needs REDIS_URL.")
    queue = queue or app.conf.task_default_queue
    purge_queues(redis_url, queue)
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    child_env = os.environ.copy()
    child_env.update(
        {
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CRISIS_EMBEDDED": "1",
            "CRISIS_TESTING": "0",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    child_env.update(env or {})
    log_file = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    log_path = Path(log_file.name)
    # With beat, the periodic sweep and heartbeat run too (SWEEP_INTERVAL_SECONDS from `env`).
    beat_args = ["--beat", f"--schedule={log_path.with_suffix('.beat')}"] if beat else []
    proc = subprocess.Popen(  # noqa: S603  (our own venv's celery, fixed arguments)
        [
            celery_binary(),
            "-A",
            "crisis",
            "worker",
            f"--pool={pool}",
            "--concurrency=1",
            *(arg for module in imports for arg in ("-I", module)),
            *beat_args,
            "-Q",
            queue,
            "-n",
            name,
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=child_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    handle = WorkerHandle(pid=proc.pid, name=name, log_path=log_path)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while " ready." not in handle.log():
            if proc.poll() is not None:
                raise RuntimeError(f"Celery worker exited with {proc.returncode}:\n{handle.log()[-4000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker not ready after {READY_TIMEOUT_SECONDS}s:\n{handle.log()[-4000:]}")
            time.sleep(0.1)
        yield handle
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        log_file.close()
        purge_queues(redis_url, queue)


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1, what: str = "condition", worker=None):
    """Poll until `predicate()` is truthy (bounded); fail with the worker's log otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            tail = worker.log()[-4000:] if worker else ""
            raise AssertionError(f"Timed out after {timeout}s waiting for {what}.\nWorker log:\n{tail}")
        time.sleep(interval)
