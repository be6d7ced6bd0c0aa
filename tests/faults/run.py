"""`make faults`: break the running system on purpose and count what it cost.

    python -m tests.faults.run [--scenarios a,b,...] [--calls 20] [--boards 5] [--race-rounds 200]

Starts the lab (tests/faults/lab.py: a private PostgreSQL and Redis, uvicorn, a Celery worker, beat), creates
24 teams with a responder each and a dispatcher, and runs each scenario: a dispatcher client sends calls
through the API (create, then triage; every write with an Idempotency-Key, retried with the same key on a
network error or a 5xx, as the phone and an integration do), a bot accepts every offer through the API as
the offered team's responder, board clients follow the websocket exactly as static/js/live.js does (snapshot,
sequence numbers, epoch, heartbeat), and the fault strikes mid-stream. Each scenario then prints

    calls sent / lost (not assigned a team 30 s after the fault ended) / double-booked (a call or a team
    with two live assignments) / duplicated events (a call created, triaged or accepted twice, or a board
    frame delivered twice) / seconds from the fault's end until every call sent had its team /
    stale boards (a board whose call or team rows differ from a fresh snapshot at the end)

and the run ends with `faults: N scenarios, L lost, D double, U duplicated, B stale boards`. The exit status
is 0 only when all are zero and every scenario recovered within 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tests.faults.lab import HOST, Lab, missing_binaries

CENTER = (41.8781, -87.6298)
TEAMS = 24
RECOVERY_LIMIT = 30.0
CALL = {
    "source": "911",
    "caller_name": "Fault lab",
    "callback_number": "312-555-0101",
    "person_description": "Adult, distressed",
    "address": "1200 W Lake St",
    "latitude": CENTER[0],
    "longitude": CENTER[1],
    "location_type": "residence",
    "call_type": "mental_health",
    "nature": "Fault lab call",
}
SCREEN = {"intoxication": True}  # in person: a community team is routed to it
LIVE = ("assigned", "en_route", "on_scene", "transporting")
OPEN = ("received", "triaged", "awaiting_team", *LIVE)


# --- HTTP, with the retries a real client makes ----------------------------------------------------
class Api:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method, path, *, token=None, cookie=None, body=None, key=None, timeout=15.0):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        if cookie:
            headers["Cookie"] = f"sessionid={cookie}"
        if key:
            headers["Idempotency-Key"] = key
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return response.status, data

    def write(self, path, body, *, token, budget=90.0, stats=None):
        """POST with one Idempotency-Key until the server answers below 500 (or the budget runs out)."""
        key = str(uuid.uuid4())
        deadline = time.monotonic() + budget
        while True:
            try:
                status, data = self.request("POST", path, token=token, body=body, key=key)
                if status < 500:
                    return status, data
            except OSError:
                pass
            if stats is not None:
                stats["retries"] += 1
            if time.monotonic() > deadline:
                return None, None
            time.sleep(0.5)


# --- the database, from the runner (it goes away in some scenarios) --------------------------------
def db(fn: Callable, *, budget: float = 90.0):
    from django.db import Error, connections

    deadline = time.monotonic() + budget
    while True:
        try:
            return fn()
        except Error:
            connections.close_all()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@dataclass
class World:
    desk_token: str
    desk_cookie: str
    responders: dict[int, str]  # team id -> the responder's API token
    desk_id: int


def create_world() -> World:
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.utils import timezone

    from crisis.models import User
    from programs.models import Program
    from responders.models import Team, TeamMember
    from tests.factories import api_token

    program = Program.objects.create(
        name="Fault lab mobile crisis",
        kind="mobile_crisis",
        tiers=["community", "co_response"],
        pairs_with_law_enforcement=True,
        center_latitude=CENTER[0],
        center_longitude=CENTER[1],
        radius_km=50,
    )
    desk = User.objects.create_user(username="faults-desk", password=uuid.uuid4().hex)
    desk.groups.add(Group.objects.get(name="dispatcher"))
    responders = {}
    for i in range(TEAMS):
        team = Team.objects.create(
            name=f"Lab team {i + 1:02d}",
            program=program,
            status="available",
            latitude=CENTER[0] + 0.002 * (i % 6),
            longitude=CENTER[1] + 0.002 * (i // 6),
            location_reported_at=timezone.now(),
        )
        user = User.objects.create_user(username=f"faults-r{i + 1:02d}", password=uuid.uuid4().hex)
        user.groups.add(Group.objects.get(name="responder"))
        TeamMember.objects.create(team=team, user=user, credential="licensed_clinician", languages=["en"])
        partner = User.objects.create_user(username=f"faults-p{i + 1:02d}", password=uuid.uuid4().hex)
        partner.groups.add(Group.objects.get(name="responder"))
        TeamMember.objects.create(team=team, user=partner, credential="peer_specialist", languages=["en"])
        responders[team.pk] = api_token(user)
    client = Client()
    client.force_login(desk)
    return World(api_token(desk), client.cookies["sessionid"].value, responders, desk.pk)


def reset(world: World) -> None:
    """Cancel every open call (freeing its team) so each scenario starts with every team available."""
    from crisis.models import User
    from dispatch import services
    from dispatch.models import Call
    from responders.models import Team

    desk = User.objects.get(pk=world.desk_id)
    for call in Call.objects.filter(status__in=OPEN):
        with contextlib.suppress(Exception):  # a call the worker is moving right now: the next pass gets it
            services.call_cancel(call=call, by=desk, reason="fault lab: next scenario")
    Team.objects.exclude(status="available").update(status="available")  # lab reset, not an operation


# --- the bot that accepts offers ---------------------------------------------------------------
class Bot:
    def __init__(self, api: Api, world: World) -> None:
        self.api, self.world = api, world
        self.done: set[int] = set()
        self.stop = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=6)
        self.thread = threading.Thread(target=self._run, name="bot", daemon=True)

    def _offers(self):
        from dispatch.models import Assignment

        return list(Assignment.objects.filter(status="offered").values_list("pk", "team_id"))

    def _accept(self, pk: int, team_id: int) -> None:
        token = self.world.responders.get(team_id)
        if token:
            self.api.write(f"/api/assignments/{pk}/accept/", {}, token=token)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                for pk, team_id in db(self._offers, budget=1):
                    if pk not in self.done:
                        self.done.add(pk)
                        self.pool.submit(self._accept, pk, team_id)
            except Exception:  # noqa: S110 (the database is away: look again shortly)
                pass
            self.stop.wait(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)
        self.pool.shutdown(wait=True, cancel_futures=True)


# --- boards that speak static/js/live.js's protocol --------------------------------------------------
class Board:
    BEHIND_GRACE = 1.5

    def __init__(self, fleet: Fleet, n: int) -> None:
        self.fleet, self.n = fleet, n
        self.calls: dict[int, tuple[int, str]] = {}  # id -> (version, status)
        self.teams: dict[int, tuple[int, str]] = {}  # id -> (version, status)
        self.epoch: str | None = None
        self.seq: dict[str, int] = {}
        self.seen: set[tuple[str, str, int]] = set()
        self.duplicates = 0
        self.behind_since: float | None = None
        self.syncing = False
        self.reconnects = 0

    async def snapshot(self) -> None:
        self.syncing = True
        try:
            while True:
                try:
                    status, body = await asyncio.to_thread(
                        self.fleet.api.request, "GET", "/api/board/", cookie=self.fleet.cookie, timeout=10
                    )
                    if status == 200:
                        break
                except OSError:
                    pass
                await asyncio.sleep(1)
            self.epoch, self.seq = body["epoch"], dict(body["seq"])
            self.calls = {c["id"]: (c["version"], c["status"]) for c in body["calls"]}
            self.teams = {t["id"]: (t["version"], t["status"]) for t in body["teams"]}
            self.behind_since = None
        finally:
            self.syncing = False

    def apply(self, frame: dict) -> bool:
        """Apply an event; False when the client must resync (another epoch, a gap)."""
        group, seq = frame.get("group"), frame.get("seq")
        if frame.get("epoch") != self.epoch:
            return False
        mark = (frame["epoch"], group, seq)
        if mark in self.seen:
            self.duplicates += 1
            return True
        self.seen.add(mark)
        last = self.seq.get(group, 0)
        if seq <= last:
            return True  # already in the snapshot
        call = (frame.get("data") or {}).get("call")
        if isinstance(call, dict) and "id" in call:
            old = self.calls.get(call["id"])
            if old is None or old[0] is None or (call.get("version") or 0) >= old[0]:
                # As board.js: two processes may number one call's events out of commit order; an older row
                # arriving late is ignored.
                self.calls[call["id"]] = (call.get("version"), call.get("status"))
        team = (frame.get("data") or {}).get("team")
        if isinstance(team, dict) and "id" in team and "status" in team:
            old = self.teams.get(team["id"])
            if old is None or (team.get("version") or 0) >= (old[0] or 0):  # board.js keeps the newer row too
                self.teams[team["id"]] = (team.get("version"), team["status"])
        self.seq[group] = seq
        return seq == last + 1

    def heartbeat(self, frame: dict) -> bool:
        if frame.get("epoch") != self.epoch:
            return False
        behind = any(n > self.seq.get(g, 0) for g, n in (frame.get("seq") or {}).items())
        if not behind:
            self.behind_since = None
            return True
        now = time.monotonic()
        if self.behind_since is None:
            self.behind_since = now
            return True
        return now - self.behind_since < self.BEHIND_GRACE

    async def run(self) -> None:
        from websockets.asyncio.client import connect

        backoff = 0.5
        while not self.fleet.stopping:
            try:
                async with connect(
                    f"ws://{HOST}:{self.fleet.api.port}/ws/board/",
                    additional_headers={"Cookie": f"sessionid={self.fleet.cookie}"},
                    origin=f"http://{HOST}:{self.fleet.api.port}",
                    open_timeout=10,
                    max_queue=None,
                ) as ws:
                    backoff = 0.5
                    await self.snapshot()
                    async for raw in ws:
                        frame = json.loads(raw)
                        kind = frame.get("kind")
                        if kind == "hello":
                            continue
                        ok = self.heartbeat(frame) if kind == "heartbeat" else self.apply(frame)
                        if not ok:
                            await self.snapshot()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: S110 (the server went away: reconnect with backoff, as the page does)
                pass
            if self.fleet.stopping:
                return
            self.reconnects += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)


@dataclass
class Truth:
    """A fresh snapshot's rows: calls by id -> (version, status), teams by id -> status."""

    calls: dict[int, tuple[int, str]]
    teams: dict[int, str]


class Fleet:
    """N boards on one event loop in a thread of their own."""

    def __init__(self, api: Api, cookie: str, size: int) -> None:
        self.api, self.cookie = api, cookie
        self.boards = [Board(self, n) for n in range(size)]
        self.stopping = False
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="boards", daemon=True)
        self.tasks = []

    def __enter__(self):
        self.thread.start()
        for board in self.boards:
            self.tasks.append(asyncio.run_coroutine_threadsafe(board.run(), self.loop))
        deadline = time.monotonic() + 30
        while any(b.epoch is None for b in self.boards) and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    @staticmethod
    def stale_one(board: Board, truth: Truth) -> bool:
        mine = dict(board.calls)
        calls_differ = any(mine.get(cid) != row for cid, row in truth.calls.items()) or any(
            status in OPEN and cid not in truth.calls for cid, (_, status) in mine.items()
        )
        # Team rows by status: a board showing a busy team as free (or the reverse) sends the wrong team.
        teams = {tid: status for tid, (_, status) in board.teams.items()}
        return calls_differ or teams != truth.teams

    def stale(self, truth: Truth) -> int:
        """Boards whose rows differ from a fresh snapshot (a call missing, older, or an open call the snapshot
        lacks; a team with another status)."""
        return sum(self.stale_one(board, truth) for board in self.boards)

    def __exit__(self, *exc):
        self.stopping = True
        for task in self.tasks:
            task.cancel()
        time.sleep(0.2)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


# --- a scenario --------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    sent: int = 0
    lost: int = 0
    double: int = 0
    duplicated: int = 0
    recover: float | None = 0.0
    stale: int = 0
    unproven: bool = False  # the fault did not strike where the scenario says it does
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        rec = "never" if self.recover is None else f"{self.recover:.1f}"
        tail = f"  ({'; '.join(self.notes)})" if self.notes else ""
        return (
            f"{self.name:<34} sent {self.sent:>4}  lost {self.lost}  double {self.double}  "
            f"duplicated {self.duplicated}  recover {rec:>5} s  stale boards {self.stale}{tail}"
        )

    @property
    def ok(self) -> bool:
        clean = not (self.lost or self.double or self.duplicated or self.stale or self.unproven)
        return clean and self.recover is not None and self.recover <= RECOVERY_LIMIT


def double_booked(since_id: int) -> int:
    from django.db.models import Count

    from dispatch.models import Assignment

    live = Assignment.objects.filter(status__in=("offered", "accepted"), call__status__in=OPEN)
    calls = live.values("call").annotate(n=Count("id")).filter(n__gt=1).count()
    teams = live.values("team").annotate(n=Count("id")).filter(n__gt=1).count()
    return calls + teams


def duplicated_events(call_ids: list[int]) -> int:
    from django.db.models import Count

    from dispatch.models import CallEvent, Triage

    once = ("call.created", "call.triaged", "call.accepted")
    events = (
        CallEvent.objects.filter(call_id__in=call_ids, kind__in=once)
        .values("call", "kind")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    triages = Triage.objects.filter(call_id__in=call_ids).values("call").annotate(n=Count("id")).filter(n__gt=1)
    return events + triages.count()


def assigned(call_ids: list[int]) -> int:
    from dispatch.models import Call

    return Call.objects.filter(pk__in=call_ids, status__in=LIVE).count()


class Scenario:
    """Send `calls` calls, strike with `fault` after a quarter of them, measure."""

    def __init__(self, lab: Lab, world: World, *, calls: int, boards: int, gap: float = 0.4) -> None:
        self.lab, self.world = lab, world
        self.api = Api(lab.web_port)
        self.calls, self.boards, self.gap = calls, boards, gap
        self.call_ids: list[int] = []
        self.failed = 0
        self.stats = {"retries": 0}
        self.lock = threading.Lock()

    def send_one(self) -> None:
        status, body = self.api.write("/api/calls/", CALL, token=self.world.desk_token, stats=self.stats)
        if status != 201:
            with self.lock:
                self.failed += 1
            return
        call_id = body["id"]
        with self.lock:
            self.call_ids.append(call_id)
        path = f"/api/calls/{call_id}/triage/"
        status, _ = self.api.write(path, SCREEN, token=self.world.desk_token, stats=self.stats)
        if status != 200:
            with self.lock:
                self.failed += 1

    def run(self, name: str, fault: Callable[[], None], *, fault_after: int | None = None) -> Result:
        db(lambda: reset(self.world))
        result = Result(name)
        fault_after = self.calls // 4 if fault_after is None else fault_after
        fault_end = {}
        with Fleet(self.api, self.world.desk_cookie, self.boards) as fleet, Bot(self.api, self.world):
            senders = ThreadPoolExecutor(max_workers=8)

            def strike():
                fault()
                fault_end["at"] = time.monotonic()

            striker = None
            for i in range(self.calls):
                if i == fault_after:
                    striker = threading.Thread(target=strike, name="fault")
                    striker.start()
                senders.submit(self.send_one)
                time.sleep(self.gap)
            if striker is None:
                strike()
            else:
                striker.join()
            senders.shutdown(wait=True)
            end = fault_end["at"]
            recover = None
            while time.monotonic() - end < RECOVERY_LIMIT + 5:
                ids = list(self.call_ids)
                if db(lambda ids=ids: assigned(ids)) == len(ids) and not self.failed:
                    recover = time.monotonic() - end
                    break
                time.sleep(0.25)
            result.recover = recover
            # Boards have their heartbeat (5 s) and grace to notice anything they missed.
            deadline = time.monotonic() + 12
            truth = Truth({}, {})
            while time.monotonic() < deadline:
                _, body = self.api.request("GET", "/api/board/", token=self.world.desk_token)
                truth = Truth(
                    calls={c["id"]: (c["version"], c["status"]) for c in body["calls"]},
                    teams={t["id"]: t["status"] for t in body["teams"]},
                )
                if fleet.stale(truth) == 0:
                    break
                time.sleep(0.5)
            result.stale = fleet.stale(truth)
            if result.stale:
                board = next(b for b in fleet.boards if fleet.stale_one(b, truth))
                diff = {
                    cid: (board.calls.get(cid), row) for cid, row in truth.calls.items() if board.calls.get(cid) != row
                }
                team_diff = {
                    tid: (board.teams.get(tid, (None, None))[1], status)
                    for tid, status in truth.teams.items()
                    if board.teams.get(tid, (None, None))[1] != status
                }
                result.notes.append(
                    f"a stale board: epoch {board.epoch} (now {body['epoch']}), seq {board.seq} (now {body['seq']}), "
                    f"{len(diff)} call rows differ, e.g. {dict(list(diff.items())[:2])}, {len(team_diff)} team rows "
                    f"differ, e.g. {dict(list(team_diff.items())[:2])}"
                )
            result.duplicated = sum(b.duplicates for b in fleet.boards)
            reconnects = sum(b.reconnects for b in fleet.boards)
        ids = list(self.call_ids)
        result.sent = self.calls
        result.lost = self.calls - db(lambda: assigned(ids))
        result.double = db(lambda: double_booked(0))
        result.duplicated += db(lambda: duplicated_events(ids))
        if self.failed:
            result.notes.append(f"{self.failed} writes never answered")
        if result.lost:
            from dispatch.models import Call

            seen = db(lambda: list(Call.objects.filter(pk__in=ids).values_list("status", flat=True)))
            result.notes.append("ended " + ", ".join(f"{s}: {seen.count(s)}" for s in sorted(set(seen))))
        if self.stats["retries"]:
            result.notes.append(f"{self.stats['retries']} client retries")
        if reconnects:
            result.notes.append(f"{reconnects} board reconnects")
        return result


# --- the faults ----------------------------------------------------------------------------------
HOLD_LINE = re.compile(r"fault hold: routing transaction open, offers uncommitted for calls ([\d,]+)")


def worker_kill9(lab: Lab, proof: dict) -> Callable[[], None]:
    """kill -9 the worker while a routing transaction is provably open: the worker is restarted with
    FAULT_ROUTING_HOLD_SECONDS (dispatch/router.py holds its transaction before COMMIT and logs the calls it
    offered), killed on that log line, and the calls it named must have no offer afterwards (rolled back)."""

    def fault():
        from dispatch.models import Assignment

        normal = lab.worker.env
        lab.worker.stop()
        lab.worker.env = normal | {"FAULT_ROUTING_HOLD_SECONDS": "30"}
        seen = len(lab.worker.log())
        try:
            lab.worker.start()
            lab.wait_worker()
            deadline = time.monotonic() + 30
            while not (held := HOLD_LINE.search(lab.worker.log()[seen:])) and time.monotonic() < deadline:
                time.sleep(0.05)
            lab.worker.stop(kill=True)  # kill -9 the worker's process group, inside the held transaction
        finally:
            lab.worker.env = normal
        if held:
            ids = [int(pk) for pk in held.group(1).split(",")]
            committed = db(lambda: Assignment.objects.filter(call_id__in=ids).count())
            proof.update(calls=ids, committed=committed)
        time.sleep(1.0)  # the restart policy's delay
        lab.worker.start()
        lab.wait_worker()

    return fault


def redis_down(lab: Lab, seconds: float) -> Callable[[], None]:
    def fault():
        lab.redis.stop()
        time.sleep(seconds)
        lab.redis.start()

    return fault


def redis_restart_lost(lab: Lab) -> Callable[[], None]:
    """The worker is held (SIGSTOP) so routing tasks pile up in Redis; Redis then dies and comes back empty."""

    def fault():
        lab.worker.signal(signal.SIGSTOP)
        time.sleep(2.0)
        lab.redis.stop(kill=True)
        lab.redis.wipe()
        lab.redis.start()
        lab.worker.signal(signal.SIGCONT)

    return fault


def redis_pause(lab: Lab, seconds: float) -> Callable[[], None]:
    def fault():
        lab.redis.pause()
        time.sleep(seconds)
        lab.redis.resume()

    return fault


def pg_restart(lab: Lab) -> Callable[[], None]:
    return lab.pg.restart


def pg_down(lab: Lab, seconds: float) -> Callable[[], None]:
    def fault():
        lab.pg.stop()
        time.sleep(seconds)
        lab.pg.start()

    return fault


def duplicate_delivery(lab: Lab, seconds: float = 8.0) -> Callable[[], None]:
    """Every routing, expiry and sweep task delivered twice or more, as a broker redelivery does."""

    def fault():
        from dispatch import tasks
        from dispatch.models import Assignment

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for _ in range(2):
                tasks.route_waiting.delay("central")
                tasks.sweep.delay()
            for pk in db(lambda: list(Assignment.objects.filter(status="offered").values_list("pk", flat=True))):
                tasks.expire_offer.delay(pk)
                tasks.expire_offer.delay(pk)
            time.sleep(0.3)

    return fault


def web_restart_and_kill(lab: Lab) -> Callable[[], None]:
    def fault():
        lab.web.stop()
        lab.web.start()
        lab.wait_web()
        time.sleep(2.0)
        lab.web.stop(kill=True)
        lab.web.start()
        lab.wait_web()

    return fault


def race(lab: Lab, world: World, *, rounds: int, width: int) -> Result:
    """`rounds` rounds of `width` simultaneous assignments of 4 teams to 2 calls (and the router racing them)."""
    from crisis.models import User
    from dispatch import services
    from responders.models import Team

    db(lambda: reset(world))
    api = Api(lab.web_port)
    result = Result(f"race {rounds}x{width}")
    desk = User.objects.get(pk=world.desk_id)
    team_ids = list(Team.objects.order_by("pk").values_list("pk", flat=True))
    pool = ThreadPoolExecutor(max_workers=width)
    start = time.monotonic()
    ids: list[int] = []
    statuses: dict[int, int] = {}
    for r in range(rounds):
        pair = []
        for _ in range(2):
            call = services.call_create(by=desk, **CALL)
            services.call_triage(call=call, screen=SCREEN, by=desk)
            pair.append(call.pk)
        ids += pair
        teams = team_ids[(r * 4) % (TEAMS - 4) :][:4]

        def assign(i, pair=pair, teams=teams):
            body = {"team_id": teams[i % 4], "reason": "race"}
            return api.request("POST", f"/api/calls/{pair[i % 2]}/assign/", token=world.desk_token, body=body)[0]

        for status in pool.map(assign, range(width)):
            statuses[status] = statuses.get(status, 0) + 1
        result.double += double_booked(0)
        reset(world)
    pool.shutdown()
    result.sent = rounds * width
    result.duplicated = duplicated_events(ids)
    result.recover = 0.0
    result.notes.append(
        f"{time.monotonic() - start:.0f} s; answers " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    )
    if any(s >= 500 for s in statuses):
        result.lost = sum(v for k, v in statuses.items() if k >= 500)
        result.notes.append("5xx answers counted as lost")
    return result


SCENARIOS = (
    "worker_kill9",
    "redis_blip",
    "redis_down_30s",
    "redis_restart_no_persistence",
    "redis_pause_5s",
    "pg_restart",
    "pg_down_15s",
    "duplicate_delivery",
    "web_restart_and_kill9",
    "race",
)
CI = ("redis_blip", "redis_pause_5s", "redis_restart_no_persistence", "pg_restart", "race")


def run_one(name: str, lab: Lab, world: World, opts) -> Result:
    scenario = Scenario(lab, world, calls=opts.calls, boards=opts.boards)
    faults = {
        "redis_blip": lambda: redis_down(lab, 0.0),  # a restart under a second, its data kept
        "redis_down_30s": lambda: redis_down(lab, opts.redis_down),
        "redis_restart_no_persistence": lambda: redis_restart_lost(lab),
        "redis_pause_5s": lambda: redis_pause(lab, 5.0),
        "pg_restart": lambda: pg_restart(lab),
        "pg_down_15s": lambda: pg_down(lab, opts.pg_down),
        "duplicate_delivery": lambda: duplicate_delivery(lab),
    }
    if name == "race":
        return race(lab, world, rounds=opts.race_rounds, width=opts.race_width)
    if name == "worker_kill9":
        proof: dict = {}
        result = scenario.run(name, worker_kill9(lab, proof))
        if proof.get("calls") and not proof["committed"]:
            result.notes.append(
                f"killed inside a routing transaction: offers to {len(proof['calls'])} call(s) rolled back"
            )
        else:
            result.unproven = True
            result.notes.append(
                f"the kill was NOT shown to land inside a routing transaction ({proof or 'no hold seen'})"
            )
        return result
    if name == "web_restart_and_kill9":
        scenario.boards = max(opts.boards, 20)
        return scenario.run(name, web_restart_and_kill(lab))
    return scenario.run(name, faults[name]())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated, or 'ci'")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--boards", type=int, default=5)
    parser.add_argument("--race-rounds", type=int, default=200)
    parser.add_argument("--race-width", type=int, default=20)
    parser.add_argument("--redis-down", type=float, default=30.0)
    parser.add_argument("--pg-down", type=float, default=15.0)
    opts = parser.parse_args(argv)
    names = list(CI) if opts.scenarios == "ci" else [s.strip() for s in opts.scenarios.split(",") if s.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    problem = missing_binaries()
    if problem:
        print(f"faults: skipped: {problem}")
        return 2

    results: list[Result] = []
    with Lab() as lab:
        os.environ.update(lab.env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "crisis.settings"
        import django

        django.setup()
        from django.db import connections

        world = db(create_world)
        lab.start_app()
        print(f"faults: lab up (PostgreSQL :{lab.pg.port}, Redis :{lab.redis.port}, web :{lab.web_port})", flush=True)
        try:
            for name in names:
                began = time.monotonic()
                result = run_one(name, lab, world, opts)
                result.notes.append(f"{time.monotonic() - began:.0f} s")
                results.append(result)
                print(result.line(), flush=True)
        finally:
            connections.close_all()
            if any(not r.ok for r in results) and os.environ.get("FAULTS_SHOW_LOGS"):
                print(lab.worker.log()[-4000:])
    lost = sum(r.lost for r in results)
    double = sum(r.double for r in results)
    dup = sum(r.duplicated for r in results)
    stale = sum(r.stale for r in results)
    print(f"faults: {len(results)} scenarios, {lost} lost, {double} double, {dup} duplicated, {stale} stale boards")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
