"""The Celery app (crisis/celery.py): what a worker does at start."""

from __future__ import annotations

import gc

from celery.signals import worker_init, worker_process_init

from crisis import celery


def test_a_worker_freezes_its_start_up_heap_out_of_the_collectors_sight():
    """Issue 15: a full collection over a worker's ~190,000 start-up objects landed inside routing runs (275 ms,
    their p99); frozen, the same pass took 9 ms. Both the main process and each prefork child freeze."""
    receivers = {r() for _, r in worker_init.receivers} & {r() for _, r in worker_process_init.receivers}
    assert celery.freeze_startup_heap in receivers
    gc.unfreeze()
    threshold = gc.get_threshold()
    try:
        worker_process_init.send(sender=None)
        assert gc.get_freeze_count() > 0
        # ~7 young collections inside each routing run over 1,000 teams at the default 700: none at 20,000.
        assert gc.get_threshold() == (20_000, *threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
