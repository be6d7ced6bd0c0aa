"""Benchmark: each supervisor report at 100,000 calls on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crisis CRISIS_EMBEDDED=1 python -m bench.reports

Uses its own database (the DATABASE_URL's server, database `crisis_bench_reports`),
recreates and migrates it, generates the history with `generate_history`, then
renders each report page (the whole request: filters, queries, template,
charts' JSON) and its JSON API for the last year and for the last 30 days,
as a supervisor. Prints the median of BENCH_REPORTS_RUNS runs (default 5).

BENCH_REPORTS_CALLS changes the number of calls; BENCH_REPORTS_REUSE=1 keeps an
existing bench database that already has that many calls.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta

BENCH_DB = "crisis_bench_reports"


def _bench_url(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + BENCH_DB))


def _create_database(url: str, *, recreate: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if exists and recreate:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))


def _setup_django(bench_url: str):
    """Point Django's default connection at the bench database (also when another bench set Django up first)."""
    import dj_database_url

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisis.settings")
    os.environ.setdefault("CRISIS_EMBEDDED", "1")
    import django
    from django.conf import settings

    if not settings.configured:
        previous = os.environ.get("DATABASE_URL")
        os.environ["DATABASE_URL"] = bench_url
        django.setup()
        if previous is not None:
            os.environ["DATABASE_URL"] = previous  # for any bench that runs after this one
    from django.db import connections

    conn = connections["default"]
    conn.close()
    conn.settings_dict.update(dj_database_url.parse(bench_url))
    return conn


def _median_seconds(fn, runs: int) -> float:
    fn()  # warm caches and the connection, as a second visit would
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run(results: dict) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench.reports: skipped (needs PostgreSQL: set DATABASE_URL=postgres://...)")
        results["reports"] = {"skipped": "needs PostgreSQL (DATABASE_URL)"}
        return
    calls = int(os.environ.get("BENCH_REPORTS_CALLS", "100000"))
    runs = int(os.environ.get("BENCH_REPORTS_RUNS", "5"))
    reuse = os.environ.get("BENCH_REPORTS_REUSE") == "1"
    bench_url = _bench_url(url)
    _create_database(url, recreate=not reuse)
    conn = _setup_django(bench_url)

    from django.core.management import call_command
    from django.test import Client, override_settings
    from django.utils import timezone

    from crisis.models import User
    from dispatch.models import Call
    from reports.registry import REPORTS

    call_command("migrate", verbosity=0, interactive=False)
    generate_s = None
    if not (reuse and Call.objects.count() >= calls):
        t = time.perf_counter()
        call_command("generate_history", calls=calls, days=365, seed=1, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        generate_s = time.perf_counter() - t
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    total = Call.objects.count()
    supervisor = User.objects.filter(groups__name="supervisor").first()
    client = Client()
    client.force_login(supervisor)
    today = timezone.localdate()
    ranges = {
        "365 days": f"start={today - timedelta(days=364)}&end={today}",
        "30 days": f"start={today - timedelta(days=29)}&end={today}",
    }
    rows = []
    out: dict = {"calls": total, "generate_seconds": generate_s, "runs": runs, "timings": {}}
    with override_settings(ALLOWED_HOSTS=["*"]):
        for name in REPORTS:
            for label, query in ranges.items():
                for kind, path in (("page", f"/reports/{name}/?{query}"), ("api", f"/api/reports/{name}/?{query}")):

                    def fetch(path=path):
                        response = client.get(path)
                        if response.status_code != 200:
                            raise RuntimeError(f"{path} answered {response.status_code}")

                    s = _median_seconds(fetch, runs)
                    rows.append((name, label, kind, s))
                    out["timings"][f"{name} {kind} {label}"] = round(s, 4)
    results["reports"] = out

    gen = f"{generate_s:.1f} s" if generate_s is not None else "reused"
    print(f"\nReports at {total:,} calls on PostgreSQL ({BENCH_DB}); generate_history: {gen}; median of {runs} runs")
    print(f"{'report':<12} {'range':<9} {'kind':<5} {'seconds':>8}  {'< 2 s':<5}")
    for name, label, kind, s in rows:
        print(f"{name:<12} {label:<9} {kind:<5} {s:>8.3f}  {'yes' if s < 2 else 'NO':<5}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    run({})


TITLE = "Supervisor reports at 100,000 calls (PostgreSQL; whole request as a supervisor, median of runs)"


def run_section(cfg, services) -> list:
    """`make bench` entry: runs last, since it points Django's connection at its own database."""
    from bench.common import Table, skipped

    if not services.postgres:
        return [skipped(TITLE, services.postgres_reason or "needs PostgreSQL")]
    if cfg.quick:
        os.environ.setdefault("BENCH_REPORTS_CALLS", "20000")
        os.environ.setdefault("BENCH_REPORTS_RUNS", "3")
    results: dict = {}
    run(results)
    out = results["reports"]
    table = Table(
        title=TITLE.replace("100,000", f"{out['calls']:,}"),
        columns=["report", "range", "page or API", "seconds", "under 2 s"],
        data=out,
    )
    for key, seconds in out["timings"].items():
        name, kind, *label = key.split(" ")
        table.rows.append([name, " ".join(label), kind, seconds, "yes" if seconds < 2 else "NO"])
    if out["generate_seconds"] is not None:
        table.notes.append(f"generate_history took {out['generate_seconds']:.0f} s")
    return [table]
