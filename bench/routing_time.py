"""Section 1: routing decision time per call with 50 and 1,000 teams.

Two paths: the pure ranking (`dispatch.routing.rank` + `match` over facts,
with the real program plugins) and the whole database-backed routing run
(`dispatch.services.calls_route_waiting`) for one waiting call, which loads
teams and members, ranks, matches, writes the explanation, claims the team,
creates the offer, commits and publishes.
"""

from __future__ import annotations

import gc
import random
import time

from bench.common import Config, Services, Table, summary_ms
from bench.world import create_teams, create_waiting_call, random_point, synth_call, synth_teams, team_facts

TITLE = "1. Routing decision time per call"


def _pure(n_teams: int, n_calls: int, seed: int) -> list[float]:
    from dispatch import routing
    from dispatch.selectors import eta_estimator, routing_config
    from programs.plugins import registered

    rng = random.Random(seed)
    synth = synth_teams(rng, n_teams)
    facts = []
    for i, t in enumerate(synth):
        r = rng.random()
        if r < 0.7:
            facts.append(team_facts(t, team_id=i + 1))
        elif r < 0.9:
            facts.append(team_facts(t, team_id=i + 1, status="on_scene", busy_seconds=rng.uniform(300, 3600)))
        else:
            facts.append(team_facts(t, team_id=i + 1, status="out_of_service"))
    fact_ids = [f.team_id for f in facts if f.program_kind == "fact"]
    plugins, eta, config = registered(), eta_estimator(), routing_config()
    times = []
    for c in range(n_calls):
        enrolled = frozenset(rng.sample(fact_ids, 1)) if fact_ids and rng.random() < 0.05 else frozenset()
        call, wants = synth_call(rng, c + 1, fact_team_ids=enrolled)
        t0 = time.perf_counter()
        ranked = routing.rank(call, facts, eta=eta, plugins=plugins, config=config, wants=wants)
        routing.match({call.call_id: ranked}, {call.call_id: call.priority})
        times.append(time.perf_counter() - t0)
    return times


def _db(n_teams: int, iterations: int, seed: int) -> tuple[list[float], int, list[float], list[float]]:
    from django.db import connections
    from django.db.models import Q

    from crisis.celery import freeze_startup_heap
    from dispatch.models import Assignment
    from dispatch.services import calls_route_waiting
    from responders.models import Team

    rng = random.Random(seed)
    region = f"bench-r{n_teams}"
    create_teams(rng, n_teams, region=region, prefix=f"r{n_teams}")
    call = create_waiting_call(rng, region=region, needs_free=True)
    calls_route_waiting(region=region)  # warm-up: connections, caches, first queries
    # As a worker does at start (crisis/celery.py::freeze_startup_heap): without it a full collection over the
    # bench process's start-up heap (~190,000 objects, 275 ms) landed inside one run in forty, and ~7 young
    # collections inside every run, which a worker no longer pays.
    threshold = gc.get_threshold()
    freeze_startup_heap()
    times, offered, after = [], 0, []
    # What runs after COMMIT (the publish, the offer-expiry and push enqueues), timed apart: the bound
    # is for the routing run in its database transaction, the row above it is the whole call.
    db = connections["default"]
    hooks = db.run_and_clear_commit_hooks

    def timed_hooks():
        t0 = time.perf_counter()
        try:
            hooks()
        finally:
            after.append(time.perf_counter() - t0)

    for _ in range(iterations):
        Assignment.objects.filter(call=call).delete()
        Team.objects.filter(Q(region=region) & ~Q(status="available")).update(status="available")
        lat, lon = random_point(rng, 30.0)
        call.latitude, call.longitude = lat, lon
        call.save(update_fields=["latitude", "longitude"])
        after_before = len(after)
        db.run_and_clear_commit_hooks = timed_hooks
        t0 = time.perf_counter()
        try:
            offers = calls_route_waiting(region=region)
            times.append(time.perf_counter() - t0)
        finally:
            del db.run_and_clear_commit_hooks
        after[after_before:] = [sum(after[after_before:])]  # one COMMIT per run (none: nothing after it)
        offered += len(offers)
    in_transaction = [t - a for t, a in zip(times, after, strict=True)]
    Assignment.objects.filter(call=call).delete()
    Team.objects.filter(Q(region=region) & ~Q(status="available")).update(status="available")
    load_times = []
    for _ in range(max(5, iterations // 2)):
        t0 = time.perf_counter()
        _load_facts(call, region)
        load_times.append(time.perf_counter() - t0)
    Team.objects.filter(region=region).update(status="off_shift")
    gc.unfreeze()
    gc.set_threshold(*threshold)
    return times, offered, load_times, in_transaction


def _load_facts(call, region: str):
    """The read half of a routing run for one call: teams, members, workloads, facts."""
    from django.conf import settings
    from django.utils import timezone

    from dispatch import reoffer, selectors, warm

    now = timezone.now()
    snap = warm.snapshot(region=region, now=now)  # as the router reads them: live columns over warm shapes
    excluded = reoffer.exclusions(
        selectors.refusals([call.pk])[call.pk], now=now, cooldown_seconds=settings.REOFFER_COOLDOWN_SECONDS
    )
    return [selectors.call_team_facts(f, snap.programs[f.program_id], call=call, excluded=excluded) for f in snap.base]


def run(cfg: Config, services: Services) -> list[Table]:
    sizes = (50, 1000)
    pure_calls = {50: cfg.size("route_pure_calls_50", 1000, 300), 1000: cfg.size("route_pure_calls_1000", 200, 60)}
    db_iters = {50: cfg.size("route_db_iters_50", 100, 40), 1000: cfg.size("route_db_iters_1000", 30, 15)}
    table = Table(
        title=TITLE,
        columns=["path", "teams", "runs", "median ms", "p99 ms", "max ms"],
    )
    for n in sizes:
        s = summary_ms(_pure(n, pure_calls[n], seed=n))
        table.rows.append(["pure rank + match", n, s["n"], s["median_ms"], s["p99_ms"], s["max_ms"]])
        table.data[f"pure_{n}"] = s
    reason = services.need("postgres")
    if reason:
        table.notes.append(f"calls_route_waiting (PostgreSQL): skipped: {reason}")
    else:
        for n in sizes:
            times, offered, load_times, in_transaction = _db(n, db_iters[n], seed=1000 + n)
            s = summary_ms(times)
            s["offers"] = offered
            table.rows.append(["calls_route_waiting (PostgreSQL)", n, s["n"], s["median_ms"], s["p99_ms"], s["max_ms"]])
            table.data[f"db_{n}"] = s
            ts = summary_ms(in_transaction)
            table.rows.append(["  of which: BEGIN to COMMIT", n, ts["n"], ts["median_ms"], ts["p99_ms"], ts["max_ms"]])
            table.data[f"db_transaction_{n}"] = ts
            ls = summary_ms(load_times)
            table.rows.append(["  of which: load teams + build facts", n, ls["n"], ls["median_ms"], ls["p99_ms"],
                               ls["max_ms"]])  # fmt: skip
            table.data[f"db_load_{n}"] = ls
            if offered != len(times):
                table.notes.append(f"{n} teams: only {offered} of {len(times)} runs made an offer")
    table.notes.append(
        "pure: teams 70% available, 20% busy (ranked as soon available), 10% out of service; mixed programs and "
        "skills; real program plugins (FACT continuity, outreach housing bonus)"
    )
    table.notes.append(
        "calls_route_waiting: one waiting call, the whole routing transaction (load teams+members, rank, match, "
        "explanation, team claim, offer, timeline/audit rows, commit, after-commit publish and offer-expiry enqueue); "
        "'BEGIN to COMMIT': the same runs less their after-commit hooks (the publish and the enqueues)"
    )
    return [table]
