"""Shared pieces of the benchmark: configuration, services, statistics, tables, subprocesses.

Nothing here knows a result: every figure printed comes from a measurement
made in the same run.
"""

from __future__ import annotations

import math
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CENTER = (41.8781, -87.6298)  # the demo city's centre; any city works


def env_flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"{name} must be 1/0, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from None


@dataclass
class Config:
    quick: bool
    sections: list[str]
    database_url: str
    redis_url: str
    port: int
    keep_db: bool

    def size(self, name: str, full: int, quick: int) -> int:
        """A size that BENCH_<NAME> overrides; smaller under BENCH_QUICK=1."""
        return env_int(f"BENCH_{name.upper()}", quick if self.quick else full)


@dataclass
class Services:
    postgres: bool = False
    postgres_reason: str = ""
    redis: bool = False
    redis_reason: str = ""
    database_url: str = ""
    redis_url: str = ""

    def need(self, *names: str) -> str | None:
        """None when every named service is up, otherwise the reason to skip."""
        reasons = []
        if "postgres" in names and not self.postgres:
            reasons.append(self.postgres_reason)
        if "redis" in names and not self.redis:
            reasons.append(self.redis_reason)
        return "; ".join(reasons) or None


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": self.columns,
            "rows": self.rows,
            "notes": self.notes,
            "skipped": self.skipped,
            "data": self.data,
        }


def skipped(title: str, reason: str) -> Table:
    return Table(title=title, columns=[], skipped=reason)


# --- statistics -------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); with few samples p99 is the maximum."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100.0 * len(ordered)) - 1))
    return ordered[k]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "median_ms": statistics.median(ms) if ms else math.nan,
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms) if ms else math.nan,
        "mean_ms": statistics.fmean(ms) if ms else math.nan,
    }


def fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def render(table: Table) -> str:
    out = [table.title, "=" * len(table.title)]
    if table.skipped:
        out.append(f"skipped: {table.skipped}")
        return "\n".join(out)
    cells = [[fmt(v) for v in row] for row in table.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(table.columns)]

    def line(values):
        parts = []
        for i, v in enumerate(values):
            parts.append(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i]))
        return "  ".join(parts).rstrip()

    out.append(line(table.columns))
    out.append(line(["-" * w for w in widths]))
    out.extend(line(r) for r in cells)
    out.extend(f"  * {n}" for n in table.notes)
    return "\n".join(out)


def render_markdown(table: Table) -> str:
    out = [f"**{table.title}**", ""]
    if table.skipped:
        out.append(f"skipped: {table.skipped}")
        return "\n".join(out)
    out.append("| " + " | ".join(table.columns) + " |")
    out.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(table.columns))) + "|")
    for row in table.rows:
        out.append("| " + " | ".join(fmt(v) for v in row) + " |")
    if table.notes:
        out.append("")
        out.extend(f"- {n}" for n in table.notes)
    return "\n".join(out)


# --- machine --------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = math.nan
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    import platform

    return {
        "loadavg": loadavg(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(ram_gb, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def loadavg() -> str:
    """1/5/15-minute load: other work on the machine shows up here and in the figures."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


# --- services ---------------------------------------------------------------------------
def _with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def prepare_postgres(url: str, *, keep: bool) -> tuple[bool, str]:
    """Create (or recreate) the dedicated bench database. Returns (ok, reason)."""
    try:
        import psycopg
    except ImportError:
        return False, "psycopg is not installed"
    dbname = urlsplit(url).path.lstrip("/")
    if not dbname:
        return False, f"no database name in {url}"
    try:
        with psycopg.connect(_with_db(url, "postgres"), autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            if exists and not keep:
                conn.execute(f'DROP DATABASE "{dbname}" WITH (FORCE)')
                exists = None
            if not exists:
                conn.execute(f'CREATE DATABASE "{dbname}"')
    except Exception as exc:  # any connection or permission problem: skip the sections that need it
        return False, f"PostgreSQL not reachable at {_redact(url)} ({_why(exc)})"
    return True, ""


def prepare_redis(url: str) -> tuple[bool, str]:
    try:
        import redis
    except ImportError:
        return False, "redis-py is not installed"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:
        return False, f"Redis not reachable at {_redact(url)} ({_why(exc)})"
    return True, ""


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}"


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(parts.password, "***")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def purge_bench_redis(url: str) -> None:
    """Drop leftovers of an earlier run in the bench's own Redis database: queued tasks and bench keys."""
    import redis

    client = redis.Redis.from_url(url)
    keys = [k for k in client.scan_iter("bench:*")]
    keys += [k for k in client.scan_iter("unacked*")]
    keys += [b"celery", b"_kombu.binding.celery"]
    if keys:
        client.delete(*keys)


# --- subprocesses -------------------------------------------------------------------------
def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CRISIS_EMBEDDED": "1",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LOG_LEVEL": os.environ.get("BENCH_CHILD_LOG_LEVEL", "WARNING"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class Child:
    """A subprocess we started and stop by its own pid (process group), never by name."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]):
        log_dir = ROOT / "var" / "bench-logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603 - argv is built here, not from input
            argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self._log.close()

    def tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-n:])
        except OSError:
            return ""


def start_worker(*, concurrency: int = 2, name: str = "worker") -> Child:
    """A real Celery worker on the bench database and Redis, prefetch 1 and late ack as in production."""
    argv = [
        str(VENV_BIN / "celery"),
        "-A",
        "crisis",
        "worker",
        "-I",
        "bench.tasks",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=WARNING",
        "-n",
        f"bench-{name}-{os.getpid()}@%h",
    ]
    return Child(name, argv, child_env())


def wait_worker_ready(child: Child, timeout: float = 60.0) -> None:
    """Send the bench stamp task until the worker answers (it has connected and is consuming)."""
    from bench import tasks

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
        key = f"bench:ready:{time.monotonic_ns()}"
        tasks.stamp.apply_async((key, time.time()))
        if tasks.wait_stamps(key, 1, timeout=5.0):
            return
    raise RuntimeError(f"{child.name} did not start within {timeout:.0f}s:\n{child.tail()}")


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
