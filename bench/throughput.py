"""Section 2: sustained calls routed per second with a real Celery worker (Redis + PostgreSQL).

Two shapes, each on its own region with enough available teams:

* trickle: calls go through the real intake path one after another
  (`call_create` + `call_triage`, which enqueues a routing task after commit),
  as fast as this process can create them, while the worker routes;
* burst: N calls are already waiting and N routing tasks are enqueued at
  once (as if N triages committed together); the first task routes the lot
  jointly, the rest find nothing to do.

Measured until every call holds an offer.
"""

from __future__ import annotations

import random
import statistics
import time

from bench.common import (
    Config,
    Services,
    Table,
    percentile,
    purge_bench_redis,
    skipped,
    start_worker,
    wait_worker_ready,
)
from bench.world import create_programs, create_teams, create_waiting_call, random_point

TITLE = "2. Sustained routing throughput with a real Celery worker"


def _offered(region: str) -> int:
    from dispatch.models import Assignment

    return Assignment.objects.filter(call__region=region, status="offered").count()


def _wait_all(region: str, n: int, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if _offered(region) >= n:
            return time.perf_counter()
        time.sleep(0.01)
    raise RuntimeError(f"only {_offered(region)} of {n} calls in {region} got an offer within {timeout:.0f}s")


def _latencies(region: str) -> list[float]:
    from dispatch.models import Assignment

    rows = (
        Assignment.objects.filter(call__region=region, status="offered")
        .order_by("call__awaiting_since")
        .values_list("offered_at", "call__awaiting_since")
    )
    return [(offered - waiting).total_seconds() for offered, waiting in rows]


def run(cfg: Config, services: Services) -> list[Table]:
    reason = services.need("postgres", "redis")
    if reason:
        return [skipped(TITLE, reason)]
    from django.contrib.auth.models import Group

    from crisis.models import User
    from dispatch import services as dispatch_services
    from dispatch.tasks import route_waiting

    n = cfg.size("tp_calls", 150, 60)
    rng = random.Random(2)
    program = create_programs()["Bench Mobile Crisis"]  # eligible for every bench call: no team left out
    dana, _ = User.objects.get_or_create(username="bench-dana", defaults={"region": "bench-tp"})
    dana.groups.add(Group.objects.get(name="dispatcher"))
    create_teams(rng, n + 20, region="bench-tp", prefix="tp", program=program)
    create_teams(rng, n + 20, region="bench-burst", prefix="burst", program=program)

    table = Table(
        title=TITLE,
        columns=["shape", "calls", "teams", "seconds", "calls routed/s", "offer latency median ms", "p99 ms"],
    )
    purge_bench_redis(services.redis_url)
    worker = start_worker(concurrency=2, name="worker-throughput")
    try:
        wait_worker_ready(worker)
        # trickle: the real intake path, one call after another.
        t0 = time.perf_counter()
        for i in range(n):
            lat, lon = random_point(rng, 30.0)
            call = dispatch_services.call_create(
                by=dana,
                source="911",
                address=f"{i} Bench Ave",
                latitude=lat,
                longitude=lon,
                call_type="mental_health",
                nature="bench call",
                person_description="bench",
                region="bench-tp",
            )
            dispatch_services.call_triage(call=call, screen={}, by=dana)
        t_intake = time.perf_counter() - t0
        t_end = _wait_all("bench-tp", n, timeout=120)
        lat_tp = _latencies("bench-tp")
        seconds = t_end - t0
        table.rows.append(
            [
                "trickle (intake + triage, one task per call)",
                n,
                n + 20,
                seconds,
                n / seconds,
                statistics.median(lat_tp) * 1000,
                percentile(lat_tp, 99) * 1000,
            ]
        )
        table.notes.append(
            f"trickle: this process created and triaged the calls at {n / t_intake:.0f} calls/s "
            f"(intake took {t_intake:.1f}s); offer latency = offer time - time the call started awaiting a team"
        )
        table.data["trickle"] = {"calls": n, "seconds": seconds, "intake_seconds": t_intake}
        tenth = max(1, n // 10)
        first, last = statistics.median(lat_tp[:tenth]), statistics.median(lat_tp[-tenth:])
        backlog = last > 2 * first + 0.2
        verdict = "a backlog built up: routing is slower than intake" if backlog else "routing kept up with intake"
        table.notes.append(
            f"trickle: offer latency of the first tenth of calls {first * 1000:.0f} ms, of the last tenth "
            f"{last * 1000:.0f} ms ({verdict})"
        )

        # burst: N waiting calls, N routing tasks at once.
        for _ in range(n):
            create_waiting_call(rng, region="bench-burst", needs_free=True)
        t0 = time.perf_counter()
        for _ in range(n):
            route_waiting.delay("bench-burst")
        t_end = _wait_all("bench-burst", n, timeout=180)
        seconds = t_end - t0
        table.rows.append(["burst (N waiting, N tasks, joint match)", n, n + 20, seconds, n / seconds, "-", "-"])
        table.data["burst"] = {"calls": n, "seconds": seconds}
        table.notes.append(
            "worker: celery prefork, concurrency 2, prefetch multiplier 1, acks_late; same 2-core machine as the "
            "bench process and PostgreSQL"
        )
    finally:
        worker.stop()
        # Offer-expiry tasks the worker held must not leak into the next section.
        purge_bench_redis(services.redis_url)
    return [table]
