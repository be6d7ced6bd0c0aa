"""No double booking under concurrency, on real PostgreSQL.

Routers, dispatchers and responders hammer the same few teams from threads
(each with its own database connection); afterwards plain SQL over the final
state must find no team and no call holding two active assignments, and every
team's status must agree with its assignment.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from unittest import mock

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from rest_framework.test import APIClient

from crisis.errors import Conflict, InvalidTransition
from dispatch import jobs, services
from dispatch.models import Assignment, Call
from responders.models import Team
from tests.conftest import make_team, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EXPECTED = (Conflict, InvalidTransition)
ROUTERS = 5


def _waiting_calls(dispatcher, n: int) -> list[Call]:
    calls = []
    # Not routed yet: the test decides when routing runs.
    with mock.patch.object(jobs, "enqueue_routing"):
        for i in range(n):
            calls.append(_waiting_call(dispatcher, i))
    return calls


def _waiting_call(dispatcher, i: int) -> Call:
    call = services.call_create(
        by=dispatcher,
        source="911",
        person_description="Adult in distress",
        address=f"{100 + i} Race St",
        latitude=41.85 + (i % 6) * 0.01,
        longitude=-87.65 + (i // 6) * 0.01,
        call_type="mental_health",
        nature="Distressed",
    )
    services.call_triage(call=call, screen={}, by=dispatcher)
    return call


def _teams(program, n: int) -> list[Team]:
    teams = []
    for i in range(n):
        team, _ = make_team(
            f"Race {i}",
            program,
            offset=(i * 0.01, -i * 0.01),
            members=[(f"race{i}a", "licensed_clinician", ["en"], []), (f"race{i}b", "emt", ["en"], [])],
        )
        teams.append(team)
    return teams


def _run_threads(targets) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def wrap(fn):
        def run():
            try:
                barrier.wait()
                fn()
            except BaseException as exc:  # noqa: BLE001  (collected and asserted below)
                errors.append(exc)
            finally:
                close_old_connections()
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return errors


def _fetch(sql: str) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def assert_no_double_booking():
    doubled_teams = _fetch(
        "SELECT team_id, count(*) FROM dispatch_assignment WHERE status IN ('offered', 'accepted') "
        "GROUP BY team_id HAVING count(*) > 1"
    )
    doubled_calls = _fetch(
        "SELECT call_id, count(*) FROM dispatch_assignment WHERE status IN ('offered', 'accepted') "
        "GROUP BY call_id HAVING count(*) > 1"
    )
    assert doubled_teams == [] and doubled_calls == []
    # Every team's status agrees with its active assignment (or lack of one).
    mismatched = _fetch(
        """
        SELECT t.id, t.status, a.status
        FROM responders_team t
        LEFT JOIN dispatch_assignment a ON a.team_id = t.id AND a.status IN ('offered', 'accepted')
        WHERE NOT (
            (a.status = 'offered' AND t.status = 'offered')
            OR (a.status = 'accepted' AND t.status IN ('assigned', 'on_scene', 'transporting'))
            OR (a.id IS NULL AND t.status IN ('available', 'out_of_service', 'off_shift'))
        )
        """
    )
    assert mismatched == []
    # And every call's status agrees with its assignment.
    bad_calls = _fetch(
        """
        SELECT c.id, c.status, a.status, c.team_id, a.team_id
        FROM dispatch_call c
        LEFT JOIN dispatch_assignment a ON a.call_id = c.id AND a.status IN ('offered', 'accepted')
        WHERE NOT (
            (a.status = 'offered' AND c.status = 'awaiting_team')
            OR (a.status = 'accepted' AND c.status IN ('assigned', 'en_route', 'on_scene', 'transporting')
                AND c.team_id = a.team_id)
            OR (a.id IS NULL AND c.status NOT IN ('assigned', 'en_route', 'on_scene', 'transporting'))
        )
        """
    )
    assert bad_calls == []


def test_concurrent_routing_and_manual_assignment_never_double_book(mobile_crisis):
    dispatcher = make_user("dana", "dispatcher")
    calls = _waiting_calls(dispatcher, 30)  # no team exists yet: all wait
    teams = _teams(mobile_crisis, 5)
    call_ids, team_ids = [c.pk for c in calls], [t.pk for t in teams]
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def note(what: str):
        with lock:
            outcomes[what] += 1

    routers_done = threading.Event()
    finished = Counter()

    def router():
        try:
            for _ in range(25):
                note(f"offers:{len(services.calls_route_waiting(region='central'))}")
                time.sleep(0.03)
        finally:
            with lock:
                finished["router"] += 1
                if finished["router"] == ROUTERS:
                    routers_done.set()

    def dispatcher_desk(seed: int):
        rng = random.Random(seed)  # noqa: S311
        for _ in range(15):
            call = Call.objects.get(pk=rng.choice(call_ids))
            # Half the time a team that looks free right now: the one a router is about to claim.
            free = list(Team.objects.filter(status="available").values_list("pk", flat=True))
            team = Team.objects.get(pk=rng.choice(free if free and rng.random() < 0.5 else team_ids))
            try:
                services.call_assign(call=call, team=team, by=dispatcher, reason="race test")
                note("manual")
            except EXPECTED:
                note("manual refused")
            time.sleep(0.01)

    def responder(seed: int):
        # Accept, decline and clear calls so that teams keep freeing up and
        # the routers keep finding work, until the routers are done.
        rng = random.Random(seed)  # noqa: S311
        while not routers_done.is_set():
            offer = Assignment.objects.filter(status="offered").order_by("?").first()
            working = Call.objects.filter(status="assigned").order_by("?").first()
            try:
                if offer is not None:
                    if rng.random() < 0.7:
                        services.assignment_accept(assignment=offer, by=None)
                        note("accepted")
                    else:
                        services.assignment_decline(assignment=offer, by=None, reason="race test")
                        note("declined")
                if working is not None and rng.random() < 0.5:
                    services.call_advance(call=working, to="on_scene", by=None)
                    services.call_close(call=working, disposition="stabilized", by=None)
                    note("closed")
            except EXPECTED:
                note("responder refused")
            time.sleep(0.005)

    targets = [router] * ROUTERS + [lambda s=s: dispatcher_desk(s) for s in (1, 2)] + [lambda: responder(3)]
    errors = _run_threads(targets)
    assert errors == [], errors
    # The race really churned: offers were made, taken up and teams freed again.
    assert outcomes["accepted"] > 0 and outcomes["closed"] > 0, outcomes
    assert Assignment.objects.count() > len(team_ids), outcomes
    assert_no_double_booking()


def test_database_refuses_a_second_active_assignment(mobile_crisis):
    dispatcher = make_user("dana", "dispatcher")
    first, second = _waiting_calls(dispatcher, 2)
    team_a, team_b = _teams(mobile_crisis, 2)
    Assignment.objects.create(call=first, team=team_a, status="offered")
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(call=second, team=team_a, status="accepted")
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(call=first, team=team_b, status="offered")
    # Ended assignments do not count.
    Assignment.objects.create(call=second, team=team_a, status="lapsed")
    Assignment.objects.create(call=first, team=team_b, status="declined")
    assert Assignment.objects.filter(status__in=("offered", "accepted")).count() == 1


def test_racing_dispatchers_over_the_api_get_one_success_and_409s(mobile_crisis):
    dispatcher = make_user("dana", "dispatcher")
    calls = _waiting_calls(dispatcher, 8)
    [team] = _teams(mobile_crisis, 1)
    Team.objects.filter(pk=team.pk).update(status="available")
    # Routing may already have offered the team one of the calls: take it back.
    Assignment.objects.filter(status="offered").update(status="withdrawn")
    statuses: list[int] = []

    def post(call_id: int):
        client = APIClient()
        client.force_authenticate(dispatcher)
        resp = client.post(f"/api/calls/{call_id}/assign/", {"team_id": team.pk, "reason": "race"}, format="json")
        statuses.append(resp.status_code)

    errors = _run_threads([lambda cid=c.pk: post(cid) for c in calls])
    assert errors == []
    assert sorted(statuses) == [200] + [409] * (len(calls) - 1)
    assert_no_double_booking()
