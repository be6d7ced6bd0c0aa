"""`make bench`: measure routing, the task queue, a simulated day and the realtime path on this machine.

Configuration (environment):
  BENCH_QUICK=1            smaller sizes (about a minute)
  BENCH_SECTIONS=a,b       run only these sections: routing, throughput, enqueue, simday, realtime, embedded, reports
  BENCH_DATABASE_URL       PostgreSQL database the bench creates and drops (default crisis_bench on 127.0.0.1)
  BENCH_REDIS_URL          Redis database the bench may fill and purge (default redis://127.0.0.1:6379/15)
  BENCH_PORT               first port for the ASGI server (default 8201)
  BENCH_KEEP_DB=1          reuse the bench database instead of recreating it
  BENCH_<SIZE>=n           override one size (names in each section's module)
  BENCH_REPORT_SIZES=a,b   the reports' history sizes (default 100000,1000000; quick 20000), in the database
                           BENCH_DATABASE_URL's name + `_reports`; BENCH_REPORTS_RUNS runs per figure (default 5)
Sections whose service is missing print "skipped: <reason>".
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import traceback
from datetime import UTC, datetime

from bench.common import (
    ROOT,
    Config,
    Services,
    Table,
    env_flag,
    env_int,
    loadavg,
    machine,
    prepare_postgres,
    prepare_redis,
    purge_bench_redis,
    render,
    render_markdown,
    skipped,
)

# reports runs last: it re-points Django's connection at its own database.
SECTIONS = ("routing", "throughput", "enqueue", "simday", "realtime", "embedded", "reports")


def _config() -> Config:
    raw = os.environ.get("BENCH_SECTIONS", "").strip()
    sections = [s.strip() for s in raw.split(",") if s.strip()] if raw else list(SECTIONS)
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise SystemExit(f"BENCH_SECTIONS: unknown {unknown}; choose from {', '.join(SECTIONS)}")
    return Config(
        quick=env_flag("BENCH_QUICK"),
        sections=sections,
        database_url=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crisis_bench"),
        redis_url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        port=env_int("BENCH_PORT", 8201),
        keep_db=env_flag("BENCH_KEEP_DB"),
    )


def _setup(cfg: Config) -> Services:
    """Point Django at the bench's own database and Redis before it starts; never at the real ones."""
    services = Services()
    services.postgres, services.postgres_reason = prepare_postgres(cfg.database_url, keep=cfg.keep_db)
    services.redis, services.redis_reason = prepare_redis(cfg.redis_url)
    os.environ["CRISIS_EMBEDDED"] = "1"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "crisis.settings"
    os.environ.pop("CRISIS_TESTING", None)
    # The embedded broker folder, SQLite file and beat schedule of `make run` live in var/; the bench's
    # (used when Redis or PostgreSQL is missing) must not, or a later `make run` would consume bench tasks.
    os.environ["CRISIS_VAR_DIR"] = str(ROOT / "var" / "bench-embedded")
    shutil.rmtree(ROOT / "var" / "bench-embedded" / "broker", ignore_errors=True)  # an earlier run's tasks
    if services.postgres:
        os.environ["DATABASE_URL"] = services.database_url = cfg.database_url
    else:
        # Pure sections still run; Django needs some database to import the models.
        os.environ.pop("DATABASE_URL", None)
    if services.redis:
        os.environ["REDIS_URL"] = services.redis_url = cfg.redis_url
        # Redis pub/sub channels are server-wide, not per database: keep ours apart.
        os.environ["CHANNEL_PREFIX"] = os.environ.get("BENCH_CHANNEL_PREFIX", "crisis-bench")
        purge_bench_redis(cfg.redis_url)
    else:
        os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    if services.postgres:
        from django.core.management import call_command

        t0 = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"bench database migrated in {time.perf_counter() - t0:.1f}s", flush=True)
    # The bench's stamp task must be registered with the crisis app in this process too.
    import bench.tasks  # noqa: F401

    return services


def _run_section(name: str, cfg: Config, services: Services) -> list[Table]:
    from importlib import import_module

    module = import_module(
        {
            "routing": "bench.routing_time",
            "throughput": "bench.throughput",
            "enqueue": "bench.enqueue",
            "simday": "bench.simday",
            "realtime": "bench.realtime",
            "embedded": "bench.embedded",
            "reports": "bench.reports",
        }[name]
    )
    try:
        if name == "reports":
            return module.run_section(cfg, services)
        return module.run(cfg, services)
    except Exception as exc:
        traceback.print_exc()
        return [skipped(module.TITLE, f"failed: {type(exc).__name__}: {exc}")]


def main() -> int:
    cfg = _config()
    services = _setup(cfg)
    info = machine()
    header = (
        f"Machine: {info['nproc']} CPU ({info['cpu']}), {info['ram_gb']} GB RAM, Python {info['python']}, "
        f"load average {info['loadavg']} at start; "
        f"PostgreSQL: {'yes' if services.postgres else 'no'}; Redis: {'yes' if services.redis else 'no'}; "
        f"{'quick sizes' if cfg.quick else 'full sizes'}"
    )
    print(header, flush=True)
    started = time.perf_counter()
    tables: list[Table] = []
    timings = {}
    for name in cfg.sections:
        print(f"\n... running {name}", flush=True)
        t0 = time.perf_counter()
        section_tables = _run_section(name, cfg, services)
        timings[name] = round(time.perf_counter() - t0, 1)
        for table in section_tables:
            print("\n" + render(table), flush=True)
        tables.extend(section_tables)
    total = time.perf_counter() - started
    load_end = loadavg()
    print(
        f"\nLoad average at start {info['loadavg']}, at end {load_end} (other processes on this machine skew figures)"
    )
    print(f"Total {total:.0f}s ({', '.join(f'{k} {v}s' for k, v in timings.items())})")

    out_dir = ROOT / "var"
    out_dir.mkdir(exist_ok=True)
    result = {
        "at": datetime.now(UTC).isoformat(),
        "machine": info | {"loadavg_end": load_end},
        "quick": cfg.quick,
        "services": {"postgres": services.postgres, "redis": services.redis},
        "seconds": {"total": round(total, 1), **timings},
        "sections": [t.as_dict() for t in tables],
    }
    (out_dir / "bench-results.json").write_text(json.dumps(result, indent=2, default=str))
    md = [f"Measured {result['at'][:16]} UTC. {header}.", ""]
    for t in tables:
        md += [render_markdown(t), ""]
    (out_dir / "bench-results.md").write_text("\n".join(md))
    print(f"Wrote {out_dir / 'bench-results.json'} and {out_dir / 'bench-results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
