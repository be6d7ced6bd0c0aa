"""FACT's routing rules (programs/fact/routing.py) through the router: the client's own team goes first; after
hours (the FACT program closed) the team's on-call member answers; no one on call, or a decline, and the call
goes on to whoever else serves it. The offer's push wakes only the on-call member after hours."""

from __future__ import annotations

import pytest

from dispatch import services
from dispatch.models import Assignment
from programs import plugins
from programs.fact import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def route(new_call, dana, django_capture_on_commit_callbacks, team_a):
    """A community-tier call about the enrolled client, triaged and routed (Team A, mobile crisis, is open 24/7)."""

    def _route(person):
        call = new_call(person=person)
        with django_capture_on_commit_callbacks(execute=True):
            services.call_triage(call=call, screen={}, by=dana)
        call.refresh_from_db()
        return call

    return _route


def offered(call) -> Assignment | None:
    return Assignment.objects.filter(call=call, status__in=("offered", "accepted")).select_related("team").first()


def test_in_hours_the_clients_own_team_is_offered_first(route, enrolled, fact_team):
    call = route(enrolled.person)
    assert offered(call).team == fact_team


def test_after_hours_the_on_call_member_of_the_clients_team_is_offered_it(
    route, enrolled, fact_team, fay, fay_on_call, after_hours
):
    call = route(enrolled.person)
    assert offered(call).team == fact_team
    chosen = call.routing_explanation["chosen"]
    assert "After hours: the FACT team's on-call member answers its own client" in chosen["notes"]


def test_after_hours_with_nobody_on_call_the_call_goes_on(route, enrolled, fact_team, team_a, after_hours):
    call = route(enrolled.person)
    assert offered(call).team == team_a
    (fact,) = [c for c in call.routing_explanation["ineligible"] if c["team"] == "FACT 1"]
    assert "Program is closed at this hour" in fact["reasons"]


def test_an_on_call_decline_routes_the_call_on(
    route, enrolled, fact_team, fay, fay_on_call, team_a, after_hours, django_capture_on_commit_callbacks
):
    call = route(enrolled.person)
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_decline(assignment=offered(call), by=fay, reason="Safety concern")
    assert offered(call).team == team_a


def test_after_hours_the_push_wakes_only_the_on_call_member(route, enrolled, fact_team, fay, fay_on_call, after_hours):
    call = route(enrolled.person)
    assert plugins.offer_recipients(call, fact_team) == frozenset({fay.pk})


@pytest.mark.parametrize("case", ["in hours", "not enrolled", "nobody on call", "another team"])
def test_otherwise_the_push_wakes_the_whole_team(new_call, enrolled, person, fact_team, team_a, fact_program, case):
    from django.utils import timezone

    from programs.fact.models import OnCallShift

    now = timezone.now()
    if case != "in hours":
        fact_program.open_24_7 = False
        fact_program.opens_at = (timezone.localtime() + timezone.timedelta(hours=1)).time()
        fact_program.closes_at = (timezone.localtime() + timezone.timedelta(hours=2)).time()
        fact_program.save()
    if case != "nobody on call":
        member = fact_team.members.first().user
        OnCallShift.objects.create(
            team=fact_team,
            member=member,
            starts_at=now - timezone.timedelta(hours=1),
            ends_at=now + timezone.timedelta(hours=1),
        )
    about = new_call() if case == "not enrolled" else new_call(person=enrolled.person)
    team = team_a if case == "another team" else fact_team
    assert selectors.after_hours_on_call(about, team, now=now) is None
