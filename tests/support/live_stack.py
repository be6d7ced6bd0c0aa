"""A real stack for browser tests: uvicorn (ASGI) and a Celery worker with beat, as subprocesses.

Both run against the *test* database of a transactional test and the Redis
named by REDIS_URL, with their own channel prefix so that concurrent runs on
the same Redis never hear each other. They are stopped by PID (their own
process group) when the test ends, before the database is flushed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PORT_RANGE = range(
    int(os.environ.get("LIVE_STACK_PORT_MIN", 8301)), int(os.environ.get("LIVE_STACK_PORT_MAX", 8399)) + 1
)
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def database_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def free_port() -> int:
    start = os.getpid() % len(PORT_RANGE)
    for i in range(len(PORT_RANGE)):
        port = PORT_RANGE[(start + i) % len(PORT_RANGE)]
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}")


@dataclass
class LiveStack:
    port: int
    env: dict
    workdir: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, name: str, argv: list[str]) -> None:
        out = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        self.procs[name] = subprocess.Popen(  # noqa: S603 (our own venv's executables)
            argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        http_ok = worker_ok = False
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log(name)[-3000:]}")
            if not http_ok:
                try:
                    with urllib.request.urlopen(f"{self.url}/healthz/", timeout=2) as r:  # noqa: S310
                        http_ok = r.status == 200
                except OSError:
                    pass
            worker_ok = worker_ok or " ready." in self.log("worker")
            if http_ok and worker_ok:
                return
            time.sleep(0.2)
        logs = f"--- web\n{self.log('web')[-2000:]}\n--- worker\n{self.log('worker')[-2000:]}"
        raise RuntimeError(f"live stack not ready in {timeout}s\n{logs}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def _end_other_sessions(connection, timeout: float = 5) -> None:
    # A killed server's PostgreSQL backends linger a moment, and an ORM call
    # made while Playwright's loop ran may hold its own connection: the test
    # database can be flushed and dropped only once all are gone.
    others = (
        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend'"
    )
    deadline = time.monotonic() + timeout
    with connection.cursor() as cur:
        while time.monotonic() < deadline:
            cur.execute("SELECT count(*) " + others)  # noqa: S608 (constant SQL)
            if cur.fetchone()[0] == 0:
                return
            time.sleep(0.1)
        cur.execute("SELECT pg_terminate_backend(pid) " + others)  # noqa: S608 (constant SQL)


def off_loop(fn, /, *args, **kwargs):
    """Run a service call in its own thread, as a server would.

    Playwright's sync API keeps an event loop running in the test's thread,
    where Django refuses to block (and async_to_sync, used to publish
    events, cannot run); a short-lived thread has neither problem.
    """
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=60)


@pytest.fixture
def live_stack(transactional_db, tmp_path, settings):
    """uvicorn + Celery worker (with beat) against this test's database. Yields a LiveStack.

    The test process publishes on the same channel prefix, so a change a test
    makes through a service reaches the browsers as it would from the server.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the live stack needs PostgreSQL")
    port = free_port()
    prefix = f"live-{uuid.uuid4().hex[:10]}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "crisis.channel_layer.PubSubChannelLayer",
            "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": prefix},
        }
    }
    var = tmp_path / "var"
    var.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=settings.REDIS_URL,
        CRISIS_EMBEDDED="1",
        # The test process hashed the personas' passwords with the test hasher.
        CRISIS_TESTING="1",
        CELERY_TASK_ALWAYS_EAGER="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}",
        CHANNEL_PREFIX=prefix,
        CRISIS_VAR_DIR=str(var),
        OFFER_TIMEOUT_SECONDS="180",
        SWEEP_INTERVAL_SECONDS="5",
        RESPONDER_LOCATION_INTERVAL_SECONDS="5",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    stack = LiveStack(port=port, env=env, workdir=tmp_path)
    stack.start(
        "web",
        [
            str(BIN / "uvicorn"),
            "crisis.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--ws-per-message-deflate",
            "false",
        ],
    )
    stack.start(
        "worker",
        [
            str(BIN / "celery"),
            "-A",
            "crisis",
            "worker",
            "--beat",
            "--pool=solo",
            "--loglevel=INFO",
            f"--schedule={var / 'celerybeat-schedule'}",
            f"--hostname=live-{port}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
    )
    try:
        stack.wait_ready()
        yield stack
    finally:
        stack.stop()
        _end_other_sessions(connection)
        ARTIFACTS.mkdir(exist_ok=True)
        for name in ("web", "worker"):
            (ARTIFACTS / f"{name}-{port}.log").write_text(stack.log(name))


@pytest.fixture
def chromium(monkeypatch):
    """Playwright's Chromium (the system's /usr/bin/chromium)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop under greenlets; the ORM calls
    # this test makes between page actions are ordinary blocking calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            from django.db import connections

            connections.close_all()


# Chromium's fake camera and microphone (a test pattern and a beep), with the permission prompt answered yes:
# what a real WebRTC call between two browser contexts needs in a headless test.
FAKE_MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture
def chromium_fake_media(monkeypatch):
    """Playwright's Chromium with fake media devices (video calls)."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MEDIA_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            from django.db import connections

            connections.close_all()
