"""crisis/heap.py and the web process's start (crisis/asgi.py): the start-up heap out of the collector's sight."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.live_stack import ROOT

PROBE = """
import gc, json, sys
import crisis.asgi
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "views_loaded_before": "dispatch.api" in sys.modules and "programs.le_consult.api" in sys.modules,
    "threshold": gc.get_threshold(),
}))
"""


def test_a_web_process_freezes_its_start_up_heap_with_every_view_loaded():
    """Issue 15: a full collection over a web process's ~150,000 start-up objects took 70-125 ms, the intake's p99
    at 2 calls/s. The server's import of the app loads every URLconf's views first, then freezes; the default young
    threshold stays (a request's garbage is collected young)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    out = subprocess.run(  # noqa: S603 (our own interpreter, a fixed probe)
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    facts = json.loads(out.stdout.strip().splitlines()[-1])
    assert facts["frozen"] > 100_000, facts
    assert facts["views_loaded_before"], facts
    assert facts["threshold"][0] == 700


def test_the_test_process_heap_is_left_alone():
    import gc

    import crisis.asgi  # noqa: F401 (the socket tests import it too)

    assert gc.get_freeze_count() == 0
