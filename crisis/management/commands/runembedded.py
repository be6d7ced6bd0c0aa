"""Run the whole platform in one process: the ASGI server plus a real Celery
worker with its beat scheduler.

In the embedded mode (no REDIS_URL) the channel layer is in memory, so the
worker must live in the web server's process for its events to reach the
websockets; the broker is Kombu's filesystem transport, so countdowns, offer
timeouts and the periodic sweep behave exactly as in production.
"""

import asyncio
import os
import sys
import threading

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform (uvicorn) with an in-process Celery worker and beat."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="Serve only; run `make worker` separately.")

    def handle(self, *args, host, port, no_worker, **options):
        from crisis import realtime
        from crisis.celery import app as celery_app

        config = uvicorn.Config("crisis.asgi:application", host=host, port=port, log_level="info", lifespan="off")
        server = uvicorn.Server(config)
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
            celery_app.worker_main(
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
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sys.stdout.flush()
            sys.stderr.flush()
            # Everything that holds state has stopped; leftover idle pool
            # threads (asgiref, kombu) would otherwise keep Ctrl+C hanging.
            os._exit(0)
