"""Benchmark: each supervisor report at 100,000 and 1,000,000 calls on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crisis CRISIS_EMBEDDED=1 python -m bench.reports

Uses its own database (the DATABASE_URL's server, database `crisis_bench_reports`; under `make bench`, the
bench database's name + `_reports`), recreates and migrates it, generates the first size's history with
`generate_history` and grows it to each larger size in SQL (bench/report_history.py), then at each size
renders each report page (the whole request: filters, queries, template, charts' JSON) and its JSON API for
the last year and for the last 30 days, as a supervisor, beside a floor measured in the same run (a count(*)
over the range's calls). Prints the median of BENCH_REPORTS_RUNS runs (default 5; 3 under BENCH_QUICK).

BENCH_REPORT_SIZES=100000,1000000 picks the sizes (the default; BENCH_QUICK: 20000; the older
BENCH_REPORTS_CALLS=n still names one size); BENCH_REPORTS_REUSE=1 keeps an existing bench database and skips
the sizes smaller than what it holds. The calls table is then rewritten in arrival order, as a live table lies
(bench/report_history.arrival_order; BENCH_REPORTS_ARRIVAL_ORDER=0 keeps the generated order).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import datetime, timedelta

BENCH_DB = "crisis_bench_reports"


DEFAULT_SIZES = "100000,1000000"


def _bench_url(url: str, name: str = BENCH_DB) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def reports_db_name(bench_url: str) -> str:
    """`make bench`'s reports database: the bench database's name + `_reports` (crisis_bench_reports by default),
    so two benches with their own BENCH_DATABASE_URL never drop each other's million calls."""
    from urllib.parse import urlsplit

    return urlsplit(bench_url).path.lstrip("/") + "_reports"


def _create_database(url: str, name: str, *, recreate: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_bench_url(url, "postgres"), autocommit=True) as conn:  # the server's own database
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


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
    # With the connection pool (crisis/settings.py), the pool keeps the database it was opened on: close it,
    # or every query would still go to the previous bench's database.
    if getattr(conn, "close_pool", None):
        conn.close_pool()
    options = conn.settings_dict.get("OPTIONS", {})
    conn.settings_dict.update(dj_database_url.parse(bench_url))
    conn.settings_dict.setdefault("OPTIONS", {}).update(options)
    return conn


def _median_seconds(fn, runs: int) -> float:
    fn()  # warm caches and the connection, as a second visit would
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _sizes(quick: bool = False) -> list[int]:
    """BENCH_REPORT_SIZES=100000,1000000 (ascending; each larger size grows the same database)."""
    raw = os.environ.get("BENCH_REPORT_SIZES", "").strip()
    if not raw:
        raw = os.environ.get("BENCH_REPORTS_CALLS", "").strip()  # the older one-size knob
    if not raw:
        raw = "20000" if quick else DEFAULT_SIZES
    try:
        sizes = sorted({int(x) for x in raw.split(",") if x.strip()})
    except ValueError:
        raise SystemExit(f"BENCH_REPORT_SIZES must be integers separated by commas, got {raw!r}") from None
    if not sizes or sizes[0] < 1:
        raise SystemExit(f"BENCH_REPORT_SIZES must name at least one positive size, got {raw!r}")
    return sizes


def _floor_seconds(conn, runs: int, since=None) -> float:
    """The floor a report stands beside: one count(*) over the calls it reads, in the same run."""

    def count():
        with conn.cursor() as cur:
            if since is None:
                cur.execute("SELECT count(*) FROM dispatch_call")
            else:
                cur.execute("SELECT count(*) FROM dispatch_call WHERE received_at >= %s", [since])
            cur.fetchone()

    return _median_seconds(count, runs)


def run(results: dict, *, bench_db: str = BENCH_DB, quick: bool = False) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench.reports: skipped (needs PostgreSQL: set DATABASE_URL=postgres://...)")
        results["reports"] = {"skipped": "needs PostgreSQL (DATABASE_URL)"}
        return
    sizes = _sizes(quick)
    runs = int(os.environ.get("BENCH_REPORTS_RUNS", "3" if quick else "5"))
    reuse = os.environ.get("BENCH_REPORTS_REUSE") == "1"
    bench_url = _bench_url(url, bench_db)
    _create_database(url, bench_db, recreate=not reuse)
    conn = _setup_django(bench_url)

    from django.core.management import call_command
    from django.test import Client, override_settings
    from django.utils import timezone

    from bench.report_history import arrival_order, grow
    from crisis.models import User
    from dispatch.models import Call
    from reports import rollup
    from reports.registry import REPORTS

    call_command("migrate", verbosity=0, interactive=False)
    out: dict = {"sizes": [], "runs": runs, "timings": {}, "floors": {}, "generate_seconds": {}}
    rows = []
    generated = False
    for size in sizes:
        have = Call.objects.count()
        if have > size and reuse:
            print(f"bench.reports: {size:,} calls skipped (the reused database already holds {have:,})")
            continue
        t = time.perf_counter()
        if not generated and have == 0:
            # The seeded base, drawn call by call; larger sizes copy it in SQL (bench/report_history.py).
            call_command("generate_history", calls=size, days=365, seed=1, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        else:
            grow(conn, size, days=365)
            rollup.forget()  # grown in SQL, past the services that mark the standards' kept days stale
        generated = True
        gen_s = time.perf_counter() - t
        if gen_s > 0.5:
            if os.environ.get("BENCH_REPORTS_ARRIVAL_ORDER", "1") != "0":
                arrival_order(conn)  # as a live table lies on disk (bench/report_history.py)
            with conn.cursor() as cur:
                cur.execute("VACUUM ANALYZE")
            out["generate_seconds"][size] = round(time.perf_counter() - t, 1)
        total = Call.objects.count()
        out["sizes"].append(total)
        # The reports' kept days, as the hourly beat task keeps them (reports/rollup.py): the first read
        # after a change of targets pays this once; the timed reads below find the year counted.
        t = time.perf_counter()
        call_command("report_days", days=400, stdout=open(os.devnull, "w"))  # noqa: SIM115
        out.setdefault("count_seconds", {})[total] = round(time.perf_counter() - t, 2)
        supervisor = User.objects.filter(groups__name="supervisor").first()
        client = Client()
        client.force_login(supervisor)
        today = timezone.localdate()
        ranges = {"365 days": today - timedelta(days=364), "30 days": today - timedelta(days=29)}
        floors = {"all calls": _floor_seconds(conn, runs)}
        for label, start in ranges.items():
            since = timezone.make_aware(datetime.combine(start, datetime.min.time()))
            floors[label] = _floor_seconds(conn, runs, since)
        out["floors"][total] = {k: round(v, 4) for k, v in floors.items()}
        with override_settings(ALLOWED_HOSTS=["*"]):
            for name in REPORTS:
                for label, start in ranges.items():
                    query = f"start={start}&end={today}"
                    for kind, path in (
                        ("page", f"/reports/{name}/?{query}"),
                        ("api", f"/api/reports/{name}/?{query}"),
                    ):

                        def fetch(path=path, client=client):
                            response = client.get(path)
                            if response.status_code != 200:
                                raise RuntimeError(f"{path} answered {response.status_code}")

                        s = _median_seconds(fetch, runs)
                        rows.append((total, name, label, kind, s, floors[label]))
                        out["timings"][f"{total} {name} {kind} {label}"] = round(s, 4)
    results["reports"] = out

    print(f"\nReports on PostgreSQL ({bench_db}); median of {runs} runs; floor = count(*) over the range's calls")
    for size, s in out["generate_seconds"].items():
        print(f"  history to {size:,} calls built in {s:.1f} s")
    for size, s in out.get("count_seconds", {}).items():
        print(f"  reports' kept days (400) at {size:,} calls counted in {s:.2f} s")
    print(
        f"{'calls':>9} {'report':<16} {'range':<9} {'kind':<5} {'seconds':>8} {'floor s':>8} {'x floor':>8}  {'<= 1 s'}"
    )
    for total, name, label, kind, s, floor in rows:
        print(
            f"{total:>9,} {name:<16} {label:<9} {kind:<5} {s:>8.3f} {floor:>8.4f} {s / floor:>8.1f}  "
            f"{'yes' if s <= 1 else 'NO'}"
        )


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    run({})


TITLE = "Supervisor reports (PostgreSQL; whole request as a supervisor, median of runs, beside a count(*) floor)"


def run_section(cfg, services) -> list:
    """`make bench` entry: runs last, since it points Django's connection at its own database."""
    from bench.common import Table, skipped

    if not services.postgres:
        return [skipped(TITLE, services.postgres_reason or "needs PostgreSQL")]
    results: dict = {}
    run(results, bench_db=reports_db_name(services.database_url), quick=cfg.quick)
    out = results["reports"]
    table = Table(
        title=TITLE,
        columns=["calls", "report", "range", "page or API", "seconds", "floor s", "x floor", "<= 1 s"],
        data=out,
    )
    for key, seconds in out["timings"].items():
        total, name, kind, *label = key.split(" ")
        floor = out["floors"][int(total)][" ".join(label)]
        table.rows.append(
            [
                f"{int(total):,}",
                name,
                " ".join(label),
                kind,
                seconds,
                floor,
                round(seconds / floor, 1),
                "yes" if seconds <= 1 else "NO",
            ]  # fmt: skip
        )
    for i, (size, s) in enumerate(out["generate_seconds"].items()):
        how = "generate_history" if i == 0 else "grown in SQL by bench/report_history.py"
        table.notes.append(f"history to {size:,} calls built in {s:.0f} s ({how}, then VACUUM ANALYZE)")
    for size, s in out.get("count_seconds", {}).items():
        table.notes.append(f"reports' kept days (400) at {size:,} calls counted in {s:.2f} s first")
    table.notes.append("floor = SELECT count(*) over the calls received in the range, measured in the same run")
    return [table]
