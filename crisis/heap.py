"""A server process's start-up heap, moved out of the garbage collector's sight (`gc.freeze`, Python 3.7+).

The collector's oldest generation scans every tracked object. In a process that has loaded Django, DRF, the apps,
channels (and, in a worker, NumPy and SciPy) that is 150,000-190,000 objects that live as long as the process:
a full collection took 275 ms inside one routing run in a worker, and 70-125 ms in a web process, which showed as
the p99 of `make bench`'s intake at 2 calls/s (issue #15). Frozen, the same pass covers only what requests and
tasks made since. Instagram does the same in its Django servers.
"""

from __future__ import annotations

import gc


def freeze_startup_heap(*, young_threshold: int | None = None) -> None:
    """Collect once, then freeze what survives. `young_threshold`: collect the youngest generation every so many
    net allocations instead of 700 (a worker's routing run made ~7 young collections at 700)."""
    gc.collect()
    gc.freeze()
    if young_threshold:
        gc.set_threshold(young_threshold, *gc.get_threshold()[1:])
