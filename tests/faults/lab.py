"""The fault lab: a private PostgreSQL, a private Redis, uvicorn, a Celery worker and beat, all ours.

`make faults` (tests/faults/run.py) breaks these on purpose, so it never uses the shared services: the
lab runs initdb in a temp directory and starts its own postmaster on another port (the binaries under
/usr/lib/postgresql/*/bin; as root, through `runuser -u postgres`, since PostgreSQL refuses to run as
root), starts its own redis-server, and runs the application's processes against both. Every process is
stopped by its own pid (its own process group) on the way out, and the temp directory goes with them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def free_port(preferred: int | None = None) -> int:
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is no obstacle
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port")


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def missing_binaries() -> str | None:
    if pg_bin() is None:
        return "PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root needs runuser to start PostgreSQL as the postgres user"
    return None


class PrivatePostgres:
    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir, self.port = workdir, port
        self.data = workdir / "pgdata"
        self.log = workdir / "postgres.log"
        self.bin = pg_bin()

    def _as_owner(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 (PostgreSQL's own tools, fixed arguments)
            self._as_owner([str(self.bin / argv[0]), *argv[1:]]), capture_output=True, text=True, check=check
        )

    def init(self) -> None:
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses={HOST} -c max_connections=300"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data / "postmaster.pid").read_text().split()[0])
        return None

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{db}"


class PrivateRedis:
    """redis-server with append-only persistence (as docker-compose runs it), or none for the loss scenario."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir, self.port = workdir / "redis", port
        self.workdir.mkdir(exist_ok=True)
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 (fixed arguments, our own temp dir)
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(redis.RedisError):
                if redis.Redis.from_url(self.url(), socket_connect_timeout=1).ping():
                    return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("private redis-server did not start")
            time.sleep(0.05)

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGCONT)  # a paused server cannot shut down
        self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def wipe(self) -> None:
        """Forget everything on disk: the next start is a Redis without persistence after a crash."""
        for child in self.workdir.iterdir():
            if child.name != "redis.log":
                shutil.rmtree(child) if child.is_dir() else child.unlink()

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)


class Process:
    """One of the application's processes, in its own process group, stopped by its pid."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logdir: Path) -> None:
        self.name, self.argv, self.env, self.logdir = name, argv, env, logdir
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.logdir / f"{self.name}.log"

    def start(self) -> None:
        self.starts += 1
        out = open(self.log_path, "ab")  # noqa: SIM115 (closed when the process is replaced)
        self.proc = subprocess.Popen(  # noqa: S603 (our own venv's executables)
            self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            os.killpg(self.proc.pid, sig)

    def stop(self, *, kill: bool = False) -> None:
        if not self.alive():
            return
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.wait(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Lab:
    """Everything the fault scenarios break, started in `__enter__` and always stopped in `__exit__`."""

    def __init__(self, *, pg_port: int = 55432, redis_port: int = 56379, web_port: int = 58000) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="crisis-faults-"))
        os.chmod(self.tmp, 0o755)  # noqa: S103 (the postgres user must reach its data directory below)
        self.pg = PrivatePostgres(self.tmp / "pg", free_port(pg_port))
        self.pg.workdir.mkdir()
        self.redis = PrivateRedis(self.tmp, free_port(redis_port))
        self.web_port = free_port(web_port)
        self.var = self.tmp / "var"
        self.var.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL", "REDIS_URL"))}
        self.env.update(
            DATABASE_URL=self.pg.url("crisis_faults"),
            REDIS_URL=self.redis.url(0),
            CELERY_BROKER_URL=self.redis.url(0),
            CRISIS_EMBEDDED="1",
            CRISIS_TESTING="0",
            CELERY_TASK_ALWAYS_EAGER="0",
            CHANNEL_PREFIX="faults",
            CRISIS_VAR_DIR=str(self.var),
            ALLOWED_HOSTS=f"{HOST},localhost",
            CSRF_TRUSTED_ORIGINS=f"http://{HOST}:{self.web_port}",
            SWEEP_INTERVAL_SECONDS="5",
            OFFER_TIMEOUT_SECONDS="60",
            CELERY_VISIBILITY_TIMEOUT="30",
            SESSION_IDLE_SECONDS="0",
            PYTHONUNBUFFERED="1",
            LOG_LEVEL="WARNING",
        )
        self.web = Process(
            "web",
            [str(BIN / "uvicorn"), "crisis.asgi:application", "--host", HOST, "--port", str(self.web_port)]
            + ["--lifespan", "off", "--log-level", "warning", "--ws-per-message-deflate", "false"],
            self.env,
            self.tmp,
        )
        self.worker = Process(
            "worker",
            [str(BIN / "celery"), "-A", "crisis", "worker", "--pool=solo", "--loglevel=INFO"]
            + ["-n", "faults@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            self.env,
            self.tmp,
        )
        self.beat = Process(
            "beat",
            [str(BIN / "celery"), "-A", "crisis", "beat", "--loglevel=WARNING", f"--schedule={self.var / 'beat'}"],
            self.env,
            self.tmp,
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.web_port}"

    def __enter__(self) -> Lab:
        try:
            self.pg.init()
            self.pg.start()
            subprocess.run(  # noqa: S603
                [str(self.pg.bin / "createdb"), "-h", HOST, "-p", str(self.pg.port), "-U", "postgres", "crisis_faults"],
                check=True,
                capture_output=True,
            )
            self.redis.start()
            subprocess.run(  # noqa: S603
                [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=self.env, check=True
            )
            return self
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def start_app(self) -> None:
        for proc in (self.web, self.worker, self.beat):
            proc.start()
        self.wait_web()
        self.wait_worker()

    def wait_web(self, timeout: float = 60) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if not self.web.alive():
                raise RuntimeError(f"uvicorn exited:\n{self.web.log()[-3000:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/healthz/", timeout=2) as r:  # noqa: S310 (our server)
                    if r.status == 200:
                        return time.monotonic() - start
            time.sleep(0.1)
        raise RuntimeError(f"uvicorn not ready in {timeout}s:\n{self.web.log()[-3000:]}")

    def wait_worker(self, timeout: float = 60) -> None:
        start = time.monotonic()
        while self.worker.log().count(" ready.") < self.worker.starts:
            if not self.worker.alive() or time.monotonic() - start > timeout:
                raise RuntimeError(f"worker not ready:\n{self.worker.log()[-3000:]}")
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        for proc in (self.beat, self.worker, self.web):
            with contextlib.suppress(Exception):
                proc.stop()
        with contextlib.suppress(Exception):
            self.redis.stop()
        with contextlib.suppress(Exception):
            self.pg.stop("immediate")
        if os.environ.get("FAULTS_KEEP_LOGS"):
            print(f"faults: logs kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
