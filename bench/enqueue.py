"""Section 3: Celery enqueue-to-start time with prefetch 1 and late acknowledgement.

A tiny task (`bench.tasks.stamp`, on the crisis Celery app) records when it
started; the time from just before `apply_async` to that start is measured
(wall clock, one machine). Three shapes:

* one at a time to an idle worker;
* a burst of N sent at once (includes waiting behind the earlier ones);
* one at a time while the worker holds countdown tasks, as it does in
  production with every open offer's expiry timer.
"""

from __future__ import annotations

import time

from bench.common import (
    Config,
    Services,
    Table,
    purge_bench_redis,
    skipped,
    start_worker,
    summary_ms,
    wait_worker_ready,
)

TITLE = "3. Celery enqueue-to-start time (prefetch 1, acks_late)"
STALL_SECONDS = 1.0


def _sequential(n: int, key: str) -> list[float]:
    from bench.tasks import stamp, wait_stamps

    out = []
    for _ in range(n):
        stamp.apply_async((key, time.time()))
        got = wait_stamps(key, 1, timeout=30)
        if not got:
            raise RuntimeError("a stamp task did not start within 30 s")
        sent, started = got[0]
        out.append(started - sent)
    return out


def _burst(n: int, key: str, drain: dict) -> list[float]:
    from bench.tasks import stamp, wait_stamps

    for _ in range(n):
        stamp.apply_async((key, time.time()))
    got = wait_stamps(key, n, timeout=120)
    if len(got) < n:
        raise RuntimeError(f"only {len(got)} of {n} burst tasks started within 120 s")
    first_sent = min(s for s, _ in got)
    last_start = max(st for _, st in got)
    drain["per_second"] = n / (last_start - first_sent)
    return [started - sent for sent, started in got]


def run(cfg: Config, services: Services) -> list[Table]:
    reason = services.need("redis")
    if reason:
        return [skipped(TITLE, reason)]
    from bench.tasks import stamp

    n = cfg.size("enqueue_tasks", 300, 100)
    held = cfg.size("enqueue_held", 100, 50)
    table = Table(title=TITLE, columns=["shape", "tasks", "median ms", "p99 ms", "max ms", f"> {STALL_SECONDS:.0f}s"])
    purge_bench_redis(services.redis_url)
    worker = start_worker(concurrency=2, name="worker-enqueue")
    try:
        wait_worker_ready(worker)
        tag = time.monotonic_ns()
        drain: dict = {}
        shapes = [
            ("one at a time, idle worker", lambda: _sequential(n, f"bench:seq:{tag}")),
            ("burst of N at once", lambda: _burst(n, f"bench:burst:{tag}", drain)),
        ]

        def with_held():
            for _ in range(held):
                stamp.apply_async((f"bench:held:{tag}", time.time()), countdown=600)
            time.sleep(1.0)  # let the worker take them into its timer
            return _sequential(n, f"bench:seqheld:{tag}")

        shapes.append((f"one at a time, worker holding {held} countdown tasks", with_held))
        for label, fn in shapes:
            times = fn()
            s = summary_ms(times)
            stalls = sum(t > STALL_SECONDS for t in times)
            table.rows.append([label, s["n"], s["median_ms"], s["p99_ms"], s["max_ms"], stalls])
            table.data[label] = s | {"stalls": stalls}
    finally:
        worker.stop()
        purge_bench_redis(services.redis_url)
    if drain:
        table.data["burst_drain_per_second"] = drain["per_second"]
        table.notes.append(
            f"burst: the worker drained {drain['per_second']:.0f} tasks/s; a task's wait there is its place in the "
            "queue (n / drain rate), not a stall"
        )
    table.notes.append(
        "time from just before apply_async to the first line of the task (wall clock); worker: prefork, "
        "concurrency 2, worker_prefetch_multiplier=1, task_acks_late=True, Redis broker"
    )
    return [table]
