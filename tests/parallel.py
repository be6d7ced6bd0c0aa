"""Loaded first in each pytest-xdist worker (`make test`: `-p tests.parallel`), before Django reads its settings.

pytest-django gives each worker its own test database (`test_<name>_gw0`, …); this gives each its own Redis
database too, so that workers never share a Celery queue, a channel group or an event counter: worker n uses
the database after REDIS_URL's by n + 1 (modulo Redis's 16). The tests that start servers, workers or a
browser run after the parallel part, one at a time, on REDIS_URL itself (tests/conftest.py marks them
`serial`).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16


def worker_redis_url(url: str, worker: str) -> str:
    """REDIS_URL for xdist worker `worker` ("gw0", "gw1", …): the same server, a database of its own."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db = (base + 1 + int(worker.removeprefix("gw"))) % REDIS_DATABASES
    return urlunsplit(parts._replace(path=f"/{db}"))


_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = worker_redis_url(os.environ["REDIS_URL"], _worker)
