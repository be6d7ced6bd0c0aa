"""Run the whole platform in one process: the ASGI server plus a real Celery
worker with its beat scheduler.

In the embedded mode (no REDIS_URL) the channel layer is in memory, so the
worker must live in the web server's process for its events to reach the
websockets; the broker is Kombu's filesystem transport, so countdowns, offer
timeouts and the periodic sweep behave exactly as in production.
"""

import asyncio
import logging
import os
import sys
import threading
import time
from collections.abc import Callable

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand

log = logging.getLogger(__name__)


def supervise(run: Callable[[], int | None], *, sleep=time.sleep, max_backoff: float = 30.0) -> None:
    """Run the worker; if it dies (a non-zero exit that nobody asked for), start it again.

    The embedded mode has no process manager to restart a worker that stopped on an unrecoverable
    error, and routing, offer expiry and the sweep all live in it. The backoff doubles while the
    worker keeps dying within a minute of its start, and resets once it has run for a minute.
    """
    delay = 1.0
    while True:
        started = time.monotonic()
        try:
            code = run()
            if code in (0, None):
                return
            reason = f"exit code {code}"
        except SystemExit as exc:
            if exc.code in (0, None):
                return
            reason = f"exit code {exc.code}"
        except KeyboardInterrupt:
            return
        except Exception as exc:  # a crash escaping worker_main itself
            reason = repr(exc)
        delay = 1.0 if time.monotonic() - started > 60 else delay
        log.error("The in-process Celery worker stopped (%s); starting it again in %.0f s", reason, delay)
        sleep(delay)
        delay = min(max_backoff, delay * 2)


def _worker_exit_code(code: int | None) -> int | None:
    """The worker's exit code, or 0 when it stopped because it was told to (Ctrl+C, SIGTERM)."""
    from celery.worker import state

    if state.should_stop is not None or state.should_terminate is not None:
        return 0
    return code


def server_config(host: str, port: int) -> uvicorn.Config:
    # Frames are encoded once per process and written as they are to every socket (crisis/sockets.py):
    # per-message compression would be a zlib pass per socket per event (README, "What the hot path does").
    return uvicorn.Config(
        "crisis.asgi:application",
        host=host,
        port=port,
        log_level="info",
        lifespan="off",
        ws_per_message_deflate=False,
    )


class Command(BaseCommand):
    help = "Serve the platform (uvicorn) with an in-process Celery worker and beat."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="Serve only; run `make worker` separately.")

    def handle(self, *args, host, port, no_worker, **options):
        from crisis import realtime
        from crisis.celery import app as celery_app

        server = uvicorn.Server(server_config(host, port))
        loop = asyncio.new_event_loop()

        def serve():
            asyncio.set_event_loop(loop)
            loop.run_until_complete(server.serve())

        thread = threading.Thread(target=serve, name="uvicorn", daemon=True)
        thread.start()
        if settings.EMBEDDED:
            realtime.set_server_loop(loop)
        self.stdout.write(self.style.SUCCESS(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)"))
        if no_worker:
            thread.join()
            return
        try:
            # The worker owns the main thread so that it can handle signals.
            supervise(
                lambda: _worker_exit_code(
                    celery_app.start(
                        argv=[
                            "worker",
                            "--pool=threads",
                            "--concurrency=4",
                            "--beat",
                            "--loglevel=INFO",
                            f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
                            "--without-heartbeat",
                            "--without-gossip",
                            "--without-mingle",
                        ]
                    )
                )
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sys.stdout.flush()
            sys.stderr.flush()
            # Everything that holds state has stopped; leftover idle pool
            # threads (asgiref, kombu) would otherwise keep Ctrl+C hanging.
            os._exit(0)
