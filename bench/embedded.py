"""Section 6: the embedded mode `make run` starts, from the POST to the board frame.

`make run` is one process: uvicorn, an in-process Celery worker on Kombu's filesystem broker, SQLite and the
in-memory channel layer. This section builds that set-up from nothing in a folder of its own (migrate, the demo
seed with its simulator off, one dispatcher's token and session), starts `manage.py runembedded` as `make run`
does, opens a dispatcher's board socket and sends calls one at a time through `POST /api/calls/intake/` (created,
triaged and routed in the request), timing each from the POST to the `call.offered` frame on the board; each call is
cancelled afterwards so its team is free again.

The floor, measured in the same run against the same process and disk: one websocket round trip to that server
(the board socket's ping → pong) plus one committed SQLite INSERT in the same folder (with the journal mode and
synchronous setting Django's SQLite connection uses here).

Needs neither PostgreSQL nor Redis: it runs everywhere `make run` does.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import time

from bench.common import ROOT, Child, Config, Services, Table, child_env, summary_ms
from bench.realtime import Api, Sockets, _call_body, _free_port, _wait_http

TITLE = "6. Embedded mode (make run): API to websocket"
# The demo seed's centre (dispatch/management/commands/seed_demo.py): calls land among its teams.
CENTER = (41.8781, -87.6298)

_CREDENTIALS = """
import json
from django.test import Client
from crisis.models import User
from crisis.tokens import api_token_issue
user = User.objects.get(username="dispatcher")
_, key = api_token_issue(user=user, by=None)
client = Client()
client.force_login(user)
print("BENCH-CREDENTIALS " + json.dumps({"token": key, "cookie": client.cookies["sessionid"].value}))
"""


def _env(var) -> dict[str, str]:
    env = child_env(CRISIS_VAR_DIR=str(var), DEMO_SIMULATOR="0", BENCH_CHILD_LOG_LEVEL="WARNING")
    # The embedded default: no PostgreSQL, no Redis, whatever the bench itself was pointed at.
    for name in ("DATABASE_URL", "REDIS_URL", "CHANNEL_PREFIX", "CRISIS_TESTING"):
        env.pop(name, None)
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - argv is built here
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args[:1])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def _sqlite_insert(path, n: int) -> list[float]:
    """One committed INSERT as the platform's SQLite connection commits one (crisis/settings.py: WAL journal,
    synchronous=NORMAL)."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, at REAL)")
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            con.execute("BEGIN")
            con.execute("INSERT INTO bench_floor (at) VALUES (?)", (t0,))
            con.execute("COMMIT")
            out.append(time.perf_counter() - t0)
        return out
    finally:
        con.close()


async def _measure(port: int, token: str, cookie: str, n_calls: int, n_floor: int) -> dict:
    socks = Sockets(port)
    ws = await socks.open(cookie, label="board")
    rng = random.Random(7)
    out: dict = {"dash": [], "post": [], "missing": 0, "ping": []}
    api = Api(port, token)
    try:
        for i in range(n_calls + 3):  # the first three warm the process (imports, first queries)
            lat = CENTER[0] + rng.uniform(-0.03, 0.03)
            lon = CENTER[1] + rng.uniform(-0.03, 0.03)
            body = _call_body(rng, i, point=(lat, lon)) | {"screen": {"caller_not_asked": True}}
            t0 = time.perf_counter()
            call = await asyncio.to_thread(api.post, "/api/calls/intake/", body)
            t_answer = time.perf_counter()
            cid = call["id"]
            ok = await socks.wait(lambda cid=cid: cid in socks.offered_dash, timeout=10)
            if i >= 3:
                if ok:
                    out["dash"].append(socks.offered_dash[cid] - t0)
                    out["post"].append(t_answer - t0)
                else:
                    out["missing"] += 1
            await asyncio.to_thread(api.post, f"/api/calls/{cid}/cancel/", {"reason": "bench"})
    finally:
        api.close()
    # The floor's network half: a ping to the same server over the same socket (the consumer answers "pong").
    reader = socks.tasks.pop()
    reader.cancel()
    for _ in range(n_floor):
        t0 = time.perf_counter()
        await ws.send(json.dumps({"kind": "ping"}))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
            if msg.get("kind") == "pong":
                break
        out["ping"].append(time.perf_counter() - t0)
    await socks.close()
    return out


def run(cfg: Config, services: Services) -> list[Table]:
    n_calls = cfg.size("emb_calls", 60, 20)
    n_floor = cfg.size("emb_floor", 200, 100)
    var = ROOT / "var" / "bench-embedded-run"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    env = _env(var)
    t0 = time.perf_counter()
    _manage(env, "migrate", "--noinput")
    _manage(env, "seed_demo")
    creds = next(
        json.loads(line.split(" ", 1)[1])
        for line in _manage(env, "shell", "-c", _CREDENTIALS).splitlines()
        if line.startswith("BENCH-CREDENTIALS ")
    )
    setup_s = time.perf_counter() - t0
    port = _free_port(cfg.port + 40)
    server = Child("embedded", [sys.executable, "manage.py", "runembedded", "--port", str(port)], env)
    try:
        _wait_http(port, server)
        res = asyncio.run(_measure(port, creds["token"], creds["cookie"], n_calls, n_floor))
    finally:
        server.stop()
    res["insert"] = _sqlite_insert(var / "bench-floor.sqlite3", n_floor)
    shutil.rmtree(var, ignore_errors=True)
    return [_table(res, setup_s=setup_s)]


def _table(res: dict, *, setup_s: float) -> Table:
    ping = summary_ms(res["ping"])
    insert = summary_ms(res["insert"])
    floor = ping["median_ms"] + insert["median_ms"]
    table = Table(TITLE, ["measure", "n", "median ms", "p99 ms", "max ms", "median / floor"])
    for name, key in (
        ("POST /api/calls/intake/ -> call.offered on the board", "dash"),
        ("for reference: POST /api/calls/intake/ response", "post"),
    ):
        s = summary_ms(res[key])
        table.rows.append([name, s["n"], s["median_ms"], s["p99_ms"], s["max_ms"], f"{s['median_ms'] / floor:.1f}x"])
    for name, s in (("floor: websocket ping -> pong", ping), ("floor: one committed SQLite INSERT", insert)):
        table.rows.append([name, s["n"], s["median_ms"], s["p99_ms"], s["max_ms"], ""])
    table.notes.append(
        f"One `manage.py runembedded` process (uvicorn + in-process worker, SQLite, in-memory channel layer), the demo "
        f"seed with its simulator off; calls one at a time, each cancelled afterwards; set-up (migrate + seed) "
        f"{setup_s:.0f} s. Floor = ping median + INSERT median = {floor:.2f} ms."
    )
    if res["missing"]:
        table.notes.append(f"{res['missing']} call(s) never reached the board within 10 s (not counted above).")
    table.data = {k: v for k, v in res.items() if k != "missing"} | {"missing": res["missing"]}
    return table
