"""Section 5: the realtime path with PostgreSQL, Redis, a real worker and the ASGI server.

* Offer latency: `POST /api/calls/` + `POST /api/calls/{id}/triage/` (a
  dispatcher's token) until the `call.offered` event arrives on a subscribed
  dispatcher board websocket and on the offered team's websocket (every team
  has one responder socket open, so whichever team is chosen is listening).
  Calls go one at a time; each is cancelled afterwards so its team is free.
* The same with one request, `POST /api/calls/intake/` (created, triaged and routed in its transaction).
* At the issue's shape: calls at a fixed `BENCH_RT_RATE` per second (2) with `BENCH_RT_BOARDS` boards (50)
  open, each path timed to the offer on the last board and on the team (`BENCH_RT_PACED_CALLS` each).
* Intake: `POST /api/calls/` from several threads at once, POSTs per second; then `POST /api/calls/intake/`
  the same way (routed calls per second).
* Fan-out: one event published through `crisis.realtime.publish` to the
  dispatch group with 10, 100 and 500 board sockets connected; time until
  the last socket has it.

Beside each figure, the floor measured in the same run: one Redis
publish-to-subscriber round trip plus one PostgreSQL INSERT (committed), and
the ratio of the figure to that floor.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import random
import statistics
import threading
import time
from collections import defaultdict

from bench.common import (
    VENV_BIN,
    Child,
    Config,
    Services,
    Table,
    child_env,
    purge_bench_redis,
    skipped,
    start_worker,
    summary_ms,
    wait_worker_ready,
)
from bench.world import create_programs, create_teams, random_point

TITLE = "5. Realtime: API to websocket"
REGION = "central"  # calls created over the API land in the default region


# --- floor --------------------------------------------------------------------------------
async def _redis_rtt(url: str, n: int) -> list[float]:
    import redis.asyncio as aredis

    client = aredis.Redis.from_url(url)
    sub = client.pubsub()
    channel = f"bench:floor:{os.getpid()}:{time.monotonic_ns()}"
    await sub.subscribe(channel)
    await sub.get_message(timeout=1.0)  # the subscribe confirmation
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        await client.publish(channel, str(i))
        while True:
            msg = await sub.get_message(ignore_subscribe_messages=True, timeout=5.0)
            if msg is not None and msg["data"] == str(i).encode():
                break
        out.append(time.perf_counter() - t0)
    await sub.unsubscribe(channel)
    await sub.aclose()
    await client.aclose()
    return out


def _pg_insert(url: str, n: int) -> list[float]:
    import psycopg

    out = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, at timestamptz, data jsonb)")
        for i in range(n):
            t0 = time.perf_counter()
            conn.execute("INSERT INTO bench_floor (at, data) VALUES (now(), %s)", (json.dumps({"i": i}),))
            out.append(time.perf_counter() - t0)
        conn.execute("DROP TABLE bench_floor")
    return out


async def _layer_fanout(url: str, sizes: list[int], repeats: int) -> dict[int, list[float]]:
    """The channel layer alone: N in-process channels in one group, group_send until all N received."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=[url], prefix=f"bench-layer-{os.getpid()}")
    group, channels, out = "bench-layer", [], {}

    async def recv(ch):
        await layer.receive(ch)
        return time.perf_counter()

    try:
        for size in sizes:
            while len(channels) < size:
                ch = await layer.new_channel()
                await layer.group_add(group, ch)
                channels.append(ch)
            await asyncio.sleep(0.2)
            last = []
            for r in range(repeats):
                waiting = [asyncio.ensure_future(recv(ch)) for ch in channels]
                await asyncio.sleep(0)
                t0 = time.perf_counter()
                await layer.group_send(group, {"type": "bench.fanout", "n": r})
                got = await asyncio.wait_for(asyncio.gather(*waiting), timeout=15)
                last.append(max(got) - t0)
            out[size] = last
    finally:
        await layer.flush()
    return out


# --- HTTP -------------------------------------------------------------------------------------
class Api:
    """One keep-alive HTTP connection with a dispatcher's token (one per thread)."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict) -> dict:
        self.conn.request("POST", path, body=json.dumps(body), headers=self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status >= 300:
            raise RuntimeError(f"POST {path}: HTTP {resp.status}: {data[:300]!r}")
        return json.loads(data)

    def close(self):
        self.conn.close()


def _call_body(rng: random.Random, i: int, point: tuple[float, float] | None = None) -> dict:
    """A bench call at `point`, or at a random point of the bench world (30 km square)."""
    lat, lon = point or random_point(rng, 30.0)
    return {
        "source": "911",
        "address": f"{i} Bench Blvd",
        "latitude": round(lat, 6),
        "longitude": round(lon, 6),
        "call_type": "mental_health",
        "nature": "bench: agitated, pacing",
        "person_description": "bench person",
    }


# --- websockets -------------------------------------------------------------------------------
class Sockets:
    """Board and team sockets with reader tasks that timestamp every event on arrival."""

    def __init__(self, port: int):
        self.port = port
        self.conns = []
        self.tasks = []
        self.offered_dash: dict[int, float] = {}
        self.offered_team: dict[int, tuple[int, float]] = {}
        self.offered_boards: dict[int, list[float]] = defaultdict(list)  # every board's arrival, per call
        self.fanout: dict[int, list[float]] = defaultdict(list)
        self.offer_data: dict | None = None  # a real call.offered's data, the fan-out's payload
        self.changed = asyncio.Event()

    async def open(self, cookie: str, *, label: str, team_id: int | None = None):
        from websockets.asyncio.client import connect

        ws = await connect(
            f"ws://127.0.0.1:{self.port}/ws/board/",
            additional_headers={"Cookie": f"sessionid={cookie}"},
            origin=f"http://127.0.0.1:{self.port}",
            max_queue=None,
            open_timeout=30,
        )
        hello = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
        if hello.get("kind") != "hello":
            raise RuntimeError(f"{label}: expected hello, got {hello}")
        self.conns.append(ws)
        self.tasks.append(asyncio.ensure_future(self._read(ws, label, team_id)))
        return ws

    async def _read(self, ws, label: str, team_id: int | None):
        try:
            async for raw in ws:
                now = time.perf_counter()
                msg = json.loads(raw)
                kind = msg.get("kind")
                if kind == "call.offered":
                    call_id = msg["data"]["call"]["id"]
                    if team_id is None:
                        self.offer_data = msg["data"]
                        self.offered_dash.setdefault(call_id, now)
                        self.offered_boards[call_id].append(now)
                    else:
                        self.offered_team.setdefault(call_id, (team_id, now))
                    self.changed.set()
                elif kind == "bench.fanout":
                    self.fanout[msg["data"]["n"]].append(now)
                    self.changed.set()
        except Exception:  # a closed socket ends its reader; close() reports nothing more
            return

    async def wait(self, predicate, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while not predicate():
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), timeout=min(left, 0.5))
            except TimeoutError:
                pass
        return True

    async def close(self):
        for ws in self.conns:
            with contextlib.suppress(Exception):  # already gone
                await ws.close()
        for t in self.tasks:
            t.cancel()


def _session_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _wait_http(port: int, child: Child, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"uvicorn exited:\n{child.tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not answer on port {port}:\n{child.tail()}")


def _free_port(first: int) -> int:
    import socket

    for port in range(first, first + 50):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port in {first}..{first + 49}")


# --- the run ------------------------------------------------------------------------------------
async def _measure(cfg: Config, services: Services, port: int, token: str, dash_cookie: str, team_cookies) -> dict:
    from crisis import realtime as events

    n_calls = cfg.size("rt_calls", 150, 60)
    n_intake = cfg.size("rt_intake", 400, 150)
    concurrency = cfg.size("rt_concurrency", 8, 8)
    fan_sizes = [10, 100, 500] if not cfg.quick else [10, 100]
    fan_sizes = [int(x) for x in os.environ.get("BENCH_RT_FANOUT", ",".join(map(str, fan_sizes))).split(",")]
    fan_repeats = cfg.size("rt_fanout_repeats", 30, 10)
    n_floor = cfg.size("rt_floor", 300, 100)
    rng = random.Random(5)
    out: dict = {}

    socks = Sockets(port)
    await socks.open(dash_cookie, label="board")
    for team_id, cookie in team_cookies:
        await socks.open(cookie, label=f"team {team_id}", team_id=team_id)

    # Offer latency, one call at a time.
    api = Api(port, token)
    dash_lat, team_lat, post_lat, missing = [], [], [], 0
    try:
        for i in range(n_calls + 3):
            body = _call_body(rng, i)
            t0 = time.perf_counter()
            call = await asyncio.to_thread(api.post, "/api/calls/", body)
            t_created = time.perf_counter()
            await asyncio.to_thread(api.post, f"/api/calls/{call['id']}/triage/", {"caller_not_asked": True})
            cid = call["id"]
            ok = await socks.wait(lambda cid=cid: cid in socks.offered_dash and cid in socks.offered_team, timeout=15)
            if i >= 3:  # the first few warm up connections and caches
                if ok:
                    dash_lat.append(socks.offered_dash[cid] - t0)
                    team_lat.append(socks.offered_team[cid][1] - t0)
                    post_lat.append(t_created - t0)
                else:
                    missing += 1
            await asyncio.to_thread(api.post, f"/api/calls/{cid}/cancel/", {"reason": "bench"})
    finally:
        api.close()
    out["dash"], out["team"], out["post"], out["missing"] = dash_lat, team_lat, post_lat, missing

    # The same with one request: POST /api/calls/intake/ (the call with its screen; routed in the request).
    api = Api(port, token)
    intake_dash, intake_team, intake_post = [], [], []
    try:
        for i in range(n_calls + 3):
            body = _call_body(rng, 5_000 + i) | {"screen": {"caller_not_asked": True}}
            t0 = time.perf_counter()
            try:
                call = await asyncio.to_thread(api.post, "/api/calls/intake/", body)
            except RuntimeError:  # an older server without the endpoint (HTTP 404)
                break
            t_answer = time.perf_counter()
            cid = call["id"]
            ok = await socks.wait(lambda cid=cid: cid in socks.offered_dash and cid in socks.offered_team, timeout=15)
            if i >= 3 and ok:
                intake_dash.append(socks.offered_dash[cid] - t0)
                intake_team.append(socks.offered_team[cid][1] - t0)
                intake_post.append(t_answer - t0)
            await asyncio.to_thread(api.post, f"/api/calls/{cid}/cancel/", {"reason": "bench"})
    finally:
        api.close()
    out["intake_dash"], out["intake_team"], out["intake_post"] = intake_dash, intake_team, intake_post

    # The issue's shape: calls arriving at `rt_rate` per second with `rt_boards` boards open, each path
    # (two requests, then one) timed from the first byte sent to the offer on the last board and on the team.
    n_boards = cfg.size("rt_boards", 50, 50)
    while len(socks.conns) < n_boards + len(team_cookies):  # one board is open already
        await socks.open(dash_cookie, label="board")
    out["boards"], out["rate"] = n_boards, cfg.size("rt_rate", 2, 2)
    n_paced = cfg.size("rt_paced_calls", 120, 40)
    for key, one_request in (("paced_two", False), ("paced_one", True)):
        api = Api(port, token)
        last_board, team, post, lost = [], [], [], 0
        started = time.perf_counter()
        try:
            for i in range(n_paced + 3):
                # Arrivals on a fixed clock: a slow answer does not slow the next arrival down.
                slot = started + i / out["rate"]
                await asyncio.sleep(max(0.0, slot - time.perf_counter()))
                body = _call_body(rng, 20_000 + i + (n_paced + 3) * one_request)
                t0 = time.perf_counter()
                if one_request:
                    call = await asyncio.to_thread(
                        api.post, "/api/calls/intake/", body | {"screen": {"caller_not_asked": True}}
                    )
                else:
                    call = await asyncio.to_thread(api.post, "/api/calls/", body)
                    await asyncio.to_thread(api.post, f"/api/calls/{call['id']}/triage/", {"caller_not_asked": True})
                t_answer = time.perf_counter()
                cid = call["id"]
                ok = await socks.wait(
                    lambda cid=cid: len(socks.offered_boards[cid]) >= n_boards and cid in socks.offered_team,
                    timeout=15,
                )
                if i >= 3:
                    if ok:
                        last_board.append(max(socks.offered_boards[cid]) - t0)
                        team.append(socks.offered_team[cid][1] - t0)
                        post.append(t_answer - t0)
                    else:
                        lost += 1
                await asyncio.to_thread(api.post, f"/api/calls/{cid}/cancel/", {"reason": "bench"})
        finally:
            api.close()
        out[key] = {"board": last_board, "team": team, "post": post, "missing": lost}

    # Intake from `concurrency` threads: POST /api/calls/, then POST /api/calls/intake/ (created, triaged and
    # routed in each request: routing keeps up by construction, and its cost is in the rate).
    per_thread = max(1, n_intake // concurrency)
    lock = threading.Lock()
    for key, path, extra in (("intake", "/api/calls/", {}), ("routed", "/api/calls/intake/", {"screen": {}})):
        lat: list[float] = []
        base = 10_000 if key == "intake" else 60_000
        bodies = [
            [_call_body(rng, base + t * per_thread + k) | extra for k in range(per_thread)] for t in range(concurrency)
        ]
        if extra:
            for rows in bodies:
                for body in rows:
                    body["screen"] = {"caller_not_asked": True}

        def worker(t: int, bodies=bodies, lat=lat, path=path):
            a = Api(port, token)
            try:
                for body in bodies[t]:
                    t0 = time.perf_counter()
                    a.post(path, body)
                    with lock:
                        lat.append(time.perf_counter() - t0)
            finally:
                a.close()

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(concurrency)]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        await asyncio.to_thread(lambda threads=threads: [th.join() for th in threads])
        out[f"{key}_seconds"] = time.perf_counter() - t0
        out[f"{key}_lat"], out[f"{key}_n"] = lat, per_thread * concurrency
    out["concurrency"] = concurrency
    await asyncio.sleep(1.0)  # let the boards drain the call.created events

    # Fan-out to 10, 100, 500 boards (the dispatcher's sockets; team sockets are not in the dispatch group), each
    # event as large as a real offer (its data carries one a board received above).
    offer = socks.offer_data or {}
    out["fan_bytes"] = len(json.dumps({"n": 0, "offer": offer}))
    await socks.close()
    socks = Sockets(port)
    fan: dict[int, dict] = {}
    seq = 0
    try:
        for size in fan_sizes:
            while len(socks.conns) < size:
                batch = min(50, size - len(socks.conns))
                await asyncio.gather(*(socks.open(dash_cookie, label="board") for _ in range(batch)))
            await asyncio.sleep(0.5)
            last, median_each = [], []
            for _ in range(fan_repeats):
                seq += 1
                n = seq
                t0 = time.perf_counter()
                await asyncio.to_thread(
                    events.publish, "bench.fanout", {"n": n, "offer": offer}, groups=[events.dispatch_group(REGION)]
                )
                ok = await socks.wait(lambda n=n, size=size: len(socks.fanout[n]) >= size, timeout=15)
                got = socks.fanout[n]
                if not ok:
                    raise RuntimeError(f"fan-out to {size}: only {len(got)} sockets got event {n}")
                last.append(max(got) - t0)
                median_each.append(statistics.median(got) - t0)
                await asyncio.sleep(0.05)
            fan[size] = {"last": last, "each": median_each}
    finally:
        await socks.close()
    out["fan"] = fan

    out["layer_fan"] = await _layer_fanout(services.redis_url, fan_sizes, fan_repeats)

    # The floor, measured now on the same machine and services.
    out["redis_rtt"] = await _redis_rtt(services.redis_url, n_floor)
    out["pg_insert"] = await asyncio.to_thread(_pg_insert, services.database_url, n_floor)
    return out


def _setup_world(n_teams: int):
    from django.contrib.auth.models import Group

    from crisis.models import User
    from responders.models import TeamMember

    program = create_programs()["Bench Mobile Crisis"]
    teams = create_teams(random.Random(4), n_teams, region=REGION, prefix="rt", program=program)
    dana, _ = User.objects.get_or_create(username="bench-rt-dana", defaults={"region": REGION})
    dana.groups.add(Group.objects.get(name="dispatcher"))
    from crisis.tokens import api_token_issue

    _, token = api_token_issue(user=dana, by=None)
    team_cookies = []
    for team in teams:
        member = TeamMember.objects.filter(team=team).select_related("user").first()
        team_cookies.append((team.pk, _session_cookie(member.user)))
    return token, _session_cookie(dana), team_cookies


def run(cfg: Config, services: Services) -> list[Table]:
    reason = services.need("postgres", "redis")
    if reason:
        return [skipped(TITLE, reason)]
    n_teams = cfg.size("rt_teams", 20, 10)
    token, dash_cookie, team_cookies = _setup_world(n_teams)
    port = _free_port(cfg.port)
    workers = cfg.size("rt_uvicorn_workers", 2, 2)
    purge_bench_redis(services.redis_url)
    server = Child(
        "uvicorn",
        [
            str(VENV_BIN / "uvicorn"),
            "crisis.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
            "--ws-per-message-deflate",
            "false",
        ],
        child_env(),
    )
    worker = start_worker(concurrency=2, name="worker-realtime")
    try:
        _wait_http(port, server)
        wait_worker_ready(worker)
        res = asyncio.run(_measure(cfg, services, port, token, dash_cookie, team_cookies))
    finally:
        worker.stop()
        server.stop()
        purge_bench_redis(services.redis_url)
    return _tables(res, n_teams=n_teams, workers=workers, port=port)


def _tables(res: dict, *, n_teams: int, workers: int, port: int) -> list[Table]:
    redis = summary_ms(res["redis_rtt"])
    pg = summary_ms(res["pg_insert"])
    floor_med = redis["median_ms"] + pg["median_ms"]
    floor_p99 = redis["p99_ms"] + pg["p99_ms"]
    cols = ["measure", "n", "median ms", "p99 ms", "floor median", "floor p99", "x floor (median)", "x floor (p99)"]

    def row(label, seconds):
        s = summary_ms(seconds)
        return [label, s["n"], s["median_ms"], s["p99_ms"], floor_med, floor_p99,
                s["median_ms"] / floor_med, s["p99_ms"] / floor_p99], s  # fmt: skip

    lat = Table(title="5a. Offer latency: POST /api/calls/ + triage -> call.offered on websockets", columns=cols)
    for label, key in (
        ("board websocket (dispatcher)", "dash"),
        ("team websocket (offered team's responder)", "team"),
        ("for reference: POST /api/calls/ response", "post"),
    ):
        r, s = row(label, res[key])
        lat.rows.append(r)
        lat.data[key] = s
    for label, key in (
        ("one request: POST /api/calls/intake/ -> board", "intake_dash"),
        ("one request: POST /api/calls/intake/ -> team", "intake_team"),
        ("for reference: POST /api/calls/intake/ response", "intake_post"),
    ):
        if res.get(key):
            r, s = row(label, res[key])
            lat.rows.append(r)
            lat.data[key] = s
    for key, name in (("paced_two", "POST /api/calls/ + triage"), ("paced_one", "POST /api/calls/intake/")):
        paced = res.get(key) or {}
        for label, part in (("last of the boards", "board"), ("team", "team"), ("response", "post")):
            if paced.get(part):
                r, s = row(f"{res['rate']}/s, {res['boards']} boards: {name} -> {label}", paced[part])
                lat.rows.append(r)
                lat.data[f"{key}_{part}"] = s
        if paced.get("missing"):
            lat.notes.append(f"{name} at {res['rate']}/s: {paced['missing']} calls got no offer on every board in 15 s")
    lat.data["floor"] = {"redis_publish_rtt": redis, "pg_insert": pg}
    lat.notes.append(
        f"floor = Redis publish->subscriber round trip (median {redis['median_ms']:.2f} ms, p99 "
        f"{redis['p99_ms']:.2f}) + one committed PostgreSQL INSERT (median {pg['median_ms']:.2f} ms, p99 "
        f"{pg['p99_ms']:.2f}), measured in this run"
    )
    lat.notes.append(
        f"path: HTTP create, HTTP triage (commit, enqueue), Celery worker routes (rank over {n_teams} teams, offer, "
        f"commit), channels_redis pub/sub to uvicorn ({workers} workers, port {port}), websocket frame"
    )
    if res["missing"]:
        lat.notes.append(f"{res['missing']} calls got no offer event within 15 s (left out of the figures)")

    intake = Table(
        title="5b. Sustained call intake: POST /api/calls/",
        columns=["concurrency", "POSTs", "seconds", "POSTs/s", "median ms", "p99 ms", "x floor (median)"],
    )
    s = summary_ms(res["intake_lat"])
    rate = res["intake_n"] / res["intake_seconds"]
    intake.rows.append(
        [
            res["concurrency"],
            res["intake_n"],
            res["intake_seconds"],
            rate,
            s["median_ms"],
            s["p99_ms"],
            s["median_ms"] / floor_med,
        ]  # fmt: skip
    )
    intake.data = {"rate": rate, "latency": s}
    if res.get("routed_lat"):
        s2 = summary_ms(res["routed_lat"])
        rate2 = res["routed_n"] / res["routed_seconds"]
        intake.rows.append(
            [f"{res['concurrency']} (intake/)", res["routed_n"], res["routed_seconds"], rate2, s2["median_ms"],
             s2["p99_ms"], s2["median_ms"] / floor_med]
        )  # fmt: skip
        intake.data["routed"] = {"rate": rate2, "latency": s2}
        intake.notes.append(
            "(intake/): POST /api/calls/intake/ with a screen, each call created, triaged and routed over the "
            "region's teams in its own request (once every team holds an offer, later calls wait: routed, no team)"
        )
    intake.notes.append(
        f"floor as a rate: 1 / floor median = {1000 / floor_med:.0f} per second per connection; each POST "
        "validates, inserts the call, its timeline event and audit row, and publishes call.created"
    )

    fan = Table(
        title="5c. Fan-out of one event to N connected dashboards",
        columns=[
            "dashboards",
            "events",
            "last socket median ms",
            "last p99 ms",
            "median socket ms",
            "floor median",
            "x floor (last, median)",
        ],  # fmt: skip
    )
    for size, d in res["fan"].items():
        last = summary_ms(d["last"])
        each = summary_ms(d["each"])
        fan.rows.append(
            [
                size,
                last["n"],
                last["median_ms"],
                last["p99_ms"],
                each["median_ms"],
                floor_med,
                last["median_ms"] / floor_med,
            ]  # fmt: skip
        )
        fan.data[str(size)] = {"last": last, "median_socket": each}
    for size, times in res.get("layer_fan", {}).items():
        s = summary_ms(times)
        fan.rows.append(
            [
                f"{size} (channel layer only)",
                s["n"],
                s["median_ms"],
                s["p99_ms"],
                "-",
                floor_med,
                s["median_ms"] / floor_med,
            ]  # fmt: skip
        )
        fan.data[f"layer_{size}"] = s
    fan.notes.append(
        "from events.publish() in this process (Redis sequence number, channels_redis group send) to the frame "
        "read by the last of N websocket clients, all N clients in this one Python process; each event "
        f"{res.get('fan_bytes', 0):,} bytes of JSON (a real offer's data)"
    )
    fan.notes.append(
        "channel layer only: channels_redis RedisPubSubChannelLayer.group_send to N channels of one in-process "
        "group until all N receive() calls returned (no consumer, no websocket): the layer's share of the fan-out"
    )
    return [lat, intake, fan]
