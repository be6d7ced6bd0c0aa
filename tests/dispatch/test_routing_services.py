"""Routing through the services (dispatch/services.py): offers, lapses, declines, retries, modes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisis.errors import Conflict, InvalidInput, InvalidTransition
from dispatch import services
from dispatch import team_state as team_services
from dispatch.models import Assignment, Call, CallEvent
from responders.models import Team
from tests.conftest import make_team
from tests.support.strands import assert_no_call_strands

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(django_capture_on_commit_callbacks):
    """Run a service and everything it enqueues after commit (Celery is eager in tests)."""

    def _run(fn, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return _run


@pytest.fixture
def field_call(new_call, dana, routed, team_a, team_b):
    """A community-tier call triaged and routed: team A (1 km) is closer than team B (5.5 km)."""

    def _make(**overrides):
        call = new_call(**overrides)
        routed(services.call_triage, call=call, screen={}, by=dana)
        call.refresh_from_db()
        return call

    return _make


def active(call) -> Assignment | None:
    return Assignment.objects.filter(call=call, status__in=("offered", "accepted")).first()


def snapshot() -> dict:
    return {
        "assignments": sorted(Assignment.objects.values_list("pk", "status")),
        "events": CallEvent.objects.count(),
        "calls": sorted(Call.objects.values_list("pk", "status", "team_id", "recommended_team_id")),
        "teams": sorted(Team.objects.values_list("pk", "status", "version")),
    }


def test_triage_of_a_field_call_offers_it_to_the_best_team(field_call, team_a, team_b):
    call = field_call()
    offer = active(call)
    assert offer is not None and offer.team == team_a and offer.status == "offered"
    assert call.status == "awaiting_team"
    assert offer.expires_at == pytest.approx(offer.offered_at + timedelta(seconds=60), abs=timedelta(seconds=1))
    team_a.refresh_from_db()
    team_b.refresh_from_db()
    assert (team_a.status, team_b.status) == ("offered", "available")
    assert call.events.filter(kind="call.offered", team=team_a).count() == 1


def test_phone_tier_call_is_not_routed(new_call, dana, routed, team_a):
    call = new_call()
    routed(services.call_triage, call=call, screen={"phone_engaged": True}, by=dana)
    assert not Assignment.objects.exists()


def test_explanation_lists_the_choice_runner_ups_and_ineligible_teams(field_call, mobile_crisis, team_a, team_b):
    make_team("Solo", mobile_crisis, members=[("sol", "licensed_clinician", ["en"], [])])
    make_team(
        "Resting",
        mobile_crisis,
        status="out_of_service",
        members=[("res1", "nurse", ["en"], []), ("res2", "emt", [], [])],
    )
    call = field_call()
    why = call.routing_explanation
    assert why["chosen"]["team_id"] == team_a.pk
    assert why["mode"] == "auto"
    runner_ups = [c for c in why["candidates"] if c["team_id"] != team_a.pk]
    assert [c["team"] for c in runner_ups] == ["Team B"]
    assert runner_ups[0]["eta_seconds"] > why["chosen"]["eta_seconds"] > 0
    reasons = {c["team"]: c["reasons"] for c in why["ineligible"]}
    assert reasons == {"Solo": ["Fewer than 2 members on the team"], "Resting": ["Team is out of service"]}


def test_suicide_risk_needs_a_licensed_clinician_and_spanish_needs_a_speaker(field_call, mobile_crisis, team_a, team_b):
    # Move team A far away: team B is now closer, but has no Spanish speaker.
    Team.objects.filter(pk=team_a.pk).update(latitude=team_a.latitude + 0.2)
    call = field_call(language="es")
    assert active(call).team == team_a
    reasons = {c["team"]: c["reasons"] for c in call.routing_explanation["ineligible"]}
    assert reasons["Team B"] == ["Needs a Spanish speaker"]


def _lapse(routed, offer, how: str) -> None:
    Assignment.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    if how == "task":
        assert routed(services.assignment_lapse, assignment_id=offer.pk) is True
    else:
        assert routed(services.calls_sweep)["lapsed"] == 1


@pytest.mark.parametrize("how", ["task", "sweep"])
def test_lapsed_offer_goes_to_the_next_team_then_back_as_a_last_resort(field_call, routed, team_a, team_b, how):
    call = field_call()
    first = active(call)
    _lapse(routed, first, how)
    first.refresh_from_db()
    assert first.status == "lapsed"
    second = active(call)
    assert second.team == team_b and second.status == "offered"
    team_a.refresh_from_db()
    assert team_a.status == "available"
    call.refresh_from_db()
    [a_reasons] = [c["reasons"] for c in call.routing_explanation["ineligible"] if c["team"] == "Team A"]
    assert a_reasons[0].startswith("Let this call's offer lapse: cool-down until ")
    # Team B lets it lapse too: nobody else is free, so the team that lapsed longest ago is asked again at once.
    _lapse(routed, second, how)
    third = active(call)
    assert third is not None and third.team == team_a
    call.refresh_from_db()
    assert "asked again, no other eligible team is free" in " ".join(call.routing_explanation["chosen"]["notes"])
    assert call.escalated_at is None
    # The third refusal escalates the call, once; the teams take turns, B is asked again.
    _lapse(routed, third, how)
    call.refresh_from_db()
    assert call.escalated_at is not None
    [escalated] = call.events.filter(kind="call.escalated")
    assert escalated.detail["refusals"] == 3
    assert escalated.detail["reason"] == (
        "Refused 3 times: Team A let the offer lapse, Team B let the offer lapse, Team A let the offer lapse"
    )
    assert active(call).team == team_b
    _lapse(routed, active(call), how)
    assert call.events.filter(kind="call.escalated").count() == 1
    assert active(call).team == team_a


def test_offer_not_yet_due_does_not_lapse(field_call, routed):
    call = field_call()
    offer = active(call)
    assert routed(services.assignment_lapse, assignment_id=offer.pk) is False
    offer.refresh_from_db()
    assert offer.status == "offered"


def test_decline_with_reason_goes_to_the_next_team(field_call, routed, rita, team_a, team_b):
    call = field_call()
    offer = active(call)
    routed(services.assignment_decline, assignment=offer, by=rita, reason="Still clearing the last scene")
    offer.refresh_from_db()
    assert (offer.status, offer.decline_reason) == ("declined", "Still clearing the last scene")
    assert active(call).team == team_b
    ev = call.events.get(kind="call.offer_declined")
    assert (ev.actor, ev.team, ev.detail["reason"]) == (rita, team_a, "Still clearing the last scene")


def test_decline_without_reason_changes_nothing(field_call, routed, rita):
    call = field_call()
    offer = active(call)
    before = snapshot()
    with pytest.raises(InvalidInput):
        routed(services.assignment_decline, assignment=offer, by=rita, reason="   ")
    assert snapshot() == before


def test_responder_of_another_team_cannot_accept_or_decline(field_call, bo):
    call = field_call()
    offer = active(call)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.assignment_accept(assignment=offer, by=bo)
    with pytest.raises(PermissionDenied):
        services.assignment_decline(assignment=offer, by=bo, reason="not ours")
    assert snapshot() == before


def test_accept_assigns_the_team(field_call, rita, team_a):
    call = field_call()
    services.assignment_accept(assignment=active(call), by=rita)
    call.refresh_from_db()
    team_a.refresh_from_db()
    assert (call.status, call.team, team_a.status) == ("assigned", team_a, "assigned")
    with pytest.raises(InvalidTransition):
        services.assignment_accept(assignment=active(call), by=rita)


def test_accept_after_expiry_is_a_conflict_and_the_offer_lapses(field_call, routed, rita, team_a, team_b):
    call = field_call()
    offer = active(call)
    Assignment.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict):
        routed(services.assignment_accept, assignment=offer, by=rita)
    offer.refresh_from_db()
    assert offer.status == "lapsed"
    call.refresh_from_db()
    assert call.status == "awaiting_team"
    assert active(call).team == team_b


def test_no_eligible_team_waits_then_routes_when_a_team_becomes_available(
    new_call, dana, routed, mobile_crisis, team_a, team_b
):
    for team in (team_a, team_b):
        routed(team_services.team_set_status, team=team, status="out_of_service", by=dana)
    call = new_call()
    routed(services.call_triage, call=call, screen={}, by=dana)
    call.refresh_from_db()
    assert call.status == "awaiting_team" and active(call) is None
    assert call.routing_explanation["chosen"] is None
    assert call.waiting_seconds(timezone.now()) >= 0
    routed(team_services.team_set_status, team=team_b, status="available", by=dana)
    offer = active(call)
    assert offer is not None and offer.team == team_b


def test_unsuitable_team_coming_back_does_not_route(new_call, dana, routed, team_a, team_b):
    for team in (team_a, team_b):
        routed(team_services.team_set_status, team=team, status="out_of_service", by=dana)
    call = new_call()
    routed(services.call_triage, call=call, screen={"person_is_minor": True}, by=dana)  # needs youth training
    routed(team_services.team_set_status, team=team_b, status="available", by=dana)  # has no youth specialist
    assert active(call) is None


def test_unrouted_call_is_flagged_once_after_the_configured_time(new_call, dana, routed, settings):
    settings.UNROUTED_FLAG_SECONDS = 120
    call = new_call(language="fr")  # no team speaks French
    routed(services.call_triage, call=call, screen={}, by=dana)
    assert routed(services.calls_sweep)["flagged"] == 0
    Call.objects.filter(pk=call.pk).update(awaiting_since=timezone.now() - timedelta(seconds=121))
    assert routed(services.calls_sweep)["flagged"] == 1
    call.refresh_from_db()
    assert call.unrouted_flagged_at is not None
    ev = call.events.get(kind="call.unrouted_flagged")
    assert ev.detail["waiting_seconds"] >= 121
    assert routed(services.calls_sweep)["flagged"] == 0
    assert call.events.filter(kind="call.unrouted_flagged").count() == 1


def test_recommend_only_mode_recommends_and_the_dispatcher_confirms(field_call, routed, settings, dana, team_a):
    settings.ROUTING_MODE = "recommend"
    call = field_call()
    assert active(call) is None
    assert call.recommended_team == team_a
    assert call.routing_explanation["mode"] == "recommend"
    assert call.events.filter(kind="call.recommended").count() == 1
    team_a.refresh_from_db()
    assert team_a.status == "available"
    before = snapshot()
    routed(services.calls_route_waiting, region=call.region)
    assert snapshot() == before, "re-running the router repeats nothing"
    offer = routed(services.call_confirm_recommendation, call=call, by=dana)
    assert (offer.team, offer.status, offer.by) == (team_a, "offered", dana)
    call.refresh_from_db()
    assert call.recommended_team is None
    with pytest.raises(InvalidTransition):
        services.call_confirm_recommendation(call=call, by=dana)


def test_manual_assign_and_reassign_need_a_reason(field_call, routed, dana, team_a, team_b):
    call = field_call()
    offer = active(call)
    with pytest.raises(InvalidInput):
        services.call_assign(call=call, team=team_b, by=dana, reason=" ")
    assert active(call) == offer
    manual = routed(services.call_assign, call=call, team=team_b, by=dana, reason="B knows the family")
    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    assert (manual.status, manual.manual_reason, manual.by) == ("accepted", "B knows the family", dana)
    call.refresh_from_db()
    team_a.refresh_from_db()
    team_b.refresh_from_db()
    assert (call.status, call.team, team_a.status, team_b.status) == ("assigned", team_b, "available", "assigned")
    # Reassign back to A.
    routed(services.call_assign, call=call, team=team_a, by=dana, reason="B's vehicle broke down")
    call.refresh_from_db()
    team_a.refresh_from_db()
    team_b.refresh_from_db()
    assert (call.status, call.team, team_a.status, team_b.status) == ("assigned", team_a, "assigned", "available")
    kinds = list(call.events.values_list("kind", flat=True))
    assert kinds.count("call.assigned_manually") == 2 and "call.reassigning" in kinds
    with pytest.raises(Conflict):
        services.call_assign(call=call, team=team_a, by=dana, reason="again")


def test_dispatcher_may_assign_the_team_holding_the_offer(field_call, routed, dana, team_a):
    call = field_call()
    routed(services.call_assign, call=call, team=team_a, by=dana, reason="Confirmed by radio")
    call.refresh_from_db()
    assert (call.status, call.team) == ("assigned", team_a)
    assert Assignment.objects.filter(call=call, status="withdrawn", team=team_a).count() == 1


def test_assigning_a_busy_team_is_a_conflict_and_changes_nothing(field_call, routed, dana, team_a, team_b):
    first = field_call()  # offered to team A
    second = field_call(address="9 Elm St")  # offered to team B
    assert active(second).team == team_b
    before = snapshot()
    with pytest.raises(Conflict):
        services.call_assign(call=second, team=team_a, by=dana, reason="closer")
    assert snapshot() == before
    assert active(first).team == team_a


def test_assigning_an_out_of_service_team_is_a_conflict(field_call, routed, dana, team_b):
    call = field_call()
    routed(team_services.team_set_status, team=team_b, status="out_of_service", by=dana)
    with pytest.raises(Conflict):
        services.call_assign(call=call, team=team_b, by=dana, reason="closer")


def test_routing_tasks_are_idempotent(new_call, dana, routed, mobile_crisis, team_a, team_b):
    calls = [new_call(address=f"{n} Oak St") for n in range(4)]
    for call in calls:
        services.call_triage(call=call, screen={}, by=dana)  # not routed yet: callbacks not run
    routed(services.calls_route_waiting, region="central")
    assert Assignment.objects.filter(status="offered").count() == 2
    for _ in range(2):
        once = snapshot()
        routed(services.calls_route_waiting, region="central")
        routed(services.calls_sweep)
        for a in Assignment.objects.all():
            routed(services.assignment_lapse, assignment_id=a.pk)
        assert snapshot() == once
    # An overdue offer lapses exactly once however often the lapse runs.
    offer = Assignment.objects.filter(status="offered").first()
    Assignment.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert routed(services.assignment_lapse, assignment_id=offer.pk) is True
    after_first = snapshot()
    assert routed(services.assignment_lapse, assignment_id=offer.pk) is False
    routed(services.calls_sweep)
    assert snapshot() == after_first
    assert CallEvent.objects.filter(kind="call.offer_lapsed").count() == 1


def test_lapse_of_a_missing_assignment_is_a_no_op(db):
    assert services.assignment_lapse(assignment_id=999_999) is False


def test_fact_enrolled_person_goes_to_their_fact_team(field_call, mobile_crisis, person, team_a):
    from programs.fact.models import Enrollment
    from programs.models import Program

    fact = Program.objects.create(name="FACT North", kind="fact", tiers=["community"])
    fact_team, _ = make_team(
        "FACT 1",
        fact,
        offset=(0.2, 0.0),
        members=[("fa1", "licensed_clinician", ["en"], []), ("fa2", "case_manager", ["en"], [])],
    )
    other = field_call(address="1 A St")  # not enrolled: FACT team may not take it
    assert active(other).team == team_a
    assert any(c["team"] == "FACT 1" for c in other.routing_explanation["ineligible"])
    Enrollment.objects.create(person=person, team=fact_team)
    call = field_call(person=person, address="2 B St")
    assert active(call).team == fact_team


def test_sweep_routes_a_call_whose_routing_message_was_lost(new_call, dana, routed, team_a, monkeypatch):
    from dispatch import jobs

    call = new_call()
    with monkeypatch.context() as m:
        m.setattr(jobs, "enqueue_routing", lambda **kw: None)  # the message never reaches a worker
        routed(services.call_triage, call=call, screen={}, by=dana)
    assert active(call) is None
    assert routed(services.calls_sweep)["regions_routed"] == 1
    assert active(call).team == team_a


def test_busy_team_is_ranked_as_soon_available_but_never_offered(new_call, dana, routed, mobile_crisis, team_a, team_b):
    Team.objects.filter(pk=team_a.pk).update(status="on_scene")
    Team.objects.filter(pk=team_b.pk).update(status="out_of_service")
    call = new_call()
    routed(services.call_triage, call=call, screen={}, by=dana)
    call.refresh_from_db()
    assert active(call) is None and call.routing_explanation["chosen"] is None
    [soon] = call.routing_explanation["candidates"]
    assert soon["team"] == "Team A" and soon["available_now"] is False
    assert soon["eta_seconds"] >= 300
    assert any(n.startswith("Soon available") for n in soon["notes"])


# --- re-offer after a refusal (dispatch/reoffer.py) -----------------------------------------------------
def _cooldown_over(call) -> None:
    """Move the call's refusals back in time past the cool-down."""
    from django.conf import settings

    past = timezone.now() - timedelta(seconds=settings.REOFFER_COOLDOWN_SECONDS + 1)
    Assignment.objects.filter(call=call, status__in=("declined", "lapsed", "recalled")).update(
        responded_at=past, ended_at=past
    )


@pytest.mark.parametrize("lost_message", [False, True], ids=["routing-job", "sweep"])
def test_declined_by_every_team_waits_out_the_cooldown_then_is_offered_again(
    new_call, dana, rita, bo, routed, team_a, team_b, settings, monkeypatch, lost_message
):
    """Issue 9: a P2 suicidal call sat at "No team" for good once every team had declined it."""
    settings.REOFFER_COOLDOWN_SECONDS = 120
    call = new_call(call_type="suicidal", nature="Says he has pills")
    routed(services.call_triage, call=call, screen={"si_thoughts": True, "si_method": True}, by=dana)
    call.refresh_from_db()
    assert call.priority == 2
    routed(services.assignment_decline, assignment=active(call), by=rita, reason="Still on the last scene")
    assert active(call).team == team_b
    routed(services.assignment_decline, assignment=active(call), by=bo, reason="Vehicle trouble")
    # Both declined: nobody is asked again at once (a decline is a human "no"), and the row says why.
    call.refresh_from_db()
    assert active(call) is None and call.status == "awaiting_team"
    row = services.call_summary(call)
    until = timezone.localtime(
        Assignment.objects.get(call=call, team=team_a).responded_at + timedelta(seconds=120)
    ).strftime("%H:%M")
    assert row["waiting_reason"] == f"No eligible team free: 2 declined (cool-down until {until})"
    assert row["waiting_since"] == Assignment.objects.get(call=call, team=team_b).responded_at.isoformat()
    assert call.events.filter(kind="call.waiting").count() == 1
    assert call.escalated_at is None  # two refusals: below the threshold
    # Routing again before the cool-down ends changes nothing and repeats no event.
    routed(services.calls_sweep)
    assert active(call) is None and call.events.filter(kind="call.waiting").count() == 1

    _cooldown_over(call)
    if lost_message:
        # The timed routing job never arrives: the sweep still finds the call.
        from dispatch import jobs

        monkeypatch.setattr(jobs, "enqueue_routing", lambda **kw: None)
        assert routed(services.calls_sweep)["regions_routed"] == 1
    else:
        routed(services.calls_route_waiting, region=call.region)
    offer = active(call)
    assert offer is not None and offer.team == team_a and offer.status == "offered"
    assert services.call_summary(Call.objects.get(pk=call.pk))["waiting_reason"] is None


def test_a_refusal_times_a_routing_job_for_the_end_of_its_cooldown(field_call, rita, settings, monkeypatch):
    from dispatch import jobs

    settings.REOFFER_COOLDOWN_SECONDS = 90
    call = field_call()
    sent = []
    monkeypatch.setattr(jobs, "enqueue_routing", lambda **kw: sent.append(kw))
    services.assignment_decline(assignment=active(call), by=rita, reason="No")
    assert sent == [{"region": "central"}, {"region": "central", "delay_seconds": 90.5}]


def test_waiting_reason_names_the_missing_skill(new_call, dana, routed, mobile_crisis, team_a, team_b):
    # Team B's clinician leaves: a suicidal call needs one, Team A is out of service.
    from responders.models import TeamMember

    TeamMember.objects.filter(team=team_b, credential="licensed_clinician").update(credential="peer_specialist")
    routed(team_services.team_set_status, team=team_a, status="out_of_service", by=dana)
    call = new_call(call_type="suicidal")
    routed(services.call_triage, call=call, screen={"si_thoughts": True}, by=dana)
    call.refresh_from_db()
    assert services.call_summary(call)["waiting_reason"] == (
        "No eligible team free: 1 lack a licensed clinician, 1 out of service"
    )
    ev = call.events.get(kind="call.waiting")
    assert ev.detail["reason"] == call.routing_explanation["waiting_reason"]


def test_a_call_that_loses_its_team_in_a_race_is_routed_again_at_once(
    new_call, dana, routed, team_a, team_b, monkeypatch
):
    """Issue 10: it used to wait for the sweep (up to 15 s) although other teams were free."""
    from dispatch import jobs, warm

    call = new_call()
    with monkeypatch.context() as m:
        m.setattr(jobs, "enqueue_routing", lambda **kw: None)
        services.call_triage(call=call, screen={}, by=dana)
    # The router read Team A as free; a dispatcher's claim committed just before the router's.
    Team.objects.filter(pk=team_a.pk).update(status="assigned")
    real_rows = warm.live_team_rows

    def read_before_the_dispatcher_committed(**kwargs):
        return [(*r[:3], "available", *r[4:]) if r[0] == team_a.pk else r for r in real_rows(**kwargs)]

    sent = []
    monkeypatch.setattr(warm, "live_team_rows", read_before_the_dispatcher_committed)
    monkeypatch.setattr(jobs, "enqueue_routing", lambda **kw: sent.append(kw))
    assert services.calls_route_waiting(region="central") == []
    assert sent == [{"region": "central"}]
    assert active(call) is None
    # That next run offers the call to the team still free.
    monkeypatch.setattr(warm, "live_team_rows", real_rows)
    assert [o.team for o in services.calls_route_waiting(region="central")] == [team_b]


def test_a_conflict_with_the_team_still_free_is_left_to_the_sweep(new_call, dana, team_a, monkeypatch):
    """A Conflict that is not a lost team (say, an inconsistent row) must not re-enqueue itself forever."""
    from dispatch import assignments, jobs

    call = new_call()
    with monkeypatch.context() as m:
        m.setattr(jobs, "enqueue_routing", lambda **kw: None)
        services.call_triage(call=call, screen={}, by=dana)

    def refuse(**kwargs):
        raise Conflict("This call or team already has an active assignment.")

    sent = []
    monkeypatch.setattr(assignments, "assignment_offer", refuse)
    monkeypatch.setattr("dispatch.router.assignment_offer", refuse)
    monkeypatch.setattr(jobs, "enqueue_routing", lambda **kw: sent.append(kw))
    assert services.calls_route_waiting(region="central") == []
    assert sent == []


def test_an_offer_the_constraints_refuse_takes_its_team_claim_back(
    new_call, dana, team_a, sent_events, monkeypatch, django_capture_on_commit_callbacks
):
    """assignment_offer's one savepoint holds the claim and the offer: the router calls it without one of its own,
    so a refused offer must leave no claimed team, no audit row of the claim and no team event behind."""
    from crisis.models import AuditEntry
    from dispatch import jobs

    other, call = new_call(), new_call()
    with monkeypatch.context() as m:
        m.setattr(jobs, "enqueue_routing", lambda **kw: None)
        services.call_triage(call=call, screen={}, by=dana)
    # An inconsistent row (the team free, yet holding an offer) that only the partial unique constraint catches.
    now = timezone.now()
    Assignment.objects.create(call=other, team=team_a, offered_at=now, expires_at=now + timedelta(minutes=2))
    claims = AuditEntry.objects.filter(action="responders.team.status_changed", object_id=str(team_a.pk)).count()
    sent_events.clear()
    monkeypatch.setattr(jobs, "enqueue_routing", lambda **kw: None)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.calls_route_waiting(region="central") == []
    assert Team.objects.get(pk=team_a.pk).status == "available"
    assert AuditEntry.objects.filter(action="responders.team.status_changed", object_id=str(team_a.pk)).count() == (
        claims
    )
    assert not [e for e in sent_events if e["kind"] == "team.status"]
    # The run itself went on: the call's explanation was written, and it waits for the next run.
    call.refresh_from_db()
    assert call.status == "awaiting_team" and call.routing_explanation["chosen"]["team_id"] == team_a.pk


@pytest.mark.django_db
def test_routing_loads_every_team_and_member_in_two_queries(team_a, team_b, mobile_crisis, django_assert_num_queries):
    from dispatch import selectors
    from responders.models import TeamMember

    more = [
        make_team(
            f"Extra {i}",
            mobile_crisis,
            members=[(f"extra{i}a", "licensed_clinician", ["en", "es"], ["youth"]), (f"extra{i}b", "emt", [], [])],
        )[0]
        for i in range(5)
    ]
    TeamMember.objects.filter(team=more[0]).update(active=False)
    now = timezone.now()
    with django_assert_num_queries(2):  # teams with their programs; every active member as plain rows
        teams = selectors.routing_teams(region="central", now=now)
        facts = {t.pk: selectors.team_base_facts(t, now=now, workload=0) for t in teams}
    assert {t.pk for t in teams} >= {team_a.pk, team_b.pk, *(t.pk for t in more)}
    # Plain rows, not model instances (building those was most of a 1,000-team run).
    assert all(type(m) is selectors.MemberFacts for t in teams for m in t.routing_members)
    # The same facts as from the model rows (an inactive member counts for nothing).
    for team in (team_a, more[0]):
        fresh = Team.objects.get(pk=team.pk)
        assert facts[team.pk] == selectors.team_base_facts(fresh, now=now, workload=0)
    assert facts[more[0].pk].member_count == 0 and facts[team_a.pk].member_count > 0


@pytest.mark.postgres
def test_a_warm_routing_run_offering_one_call_is_nine_statements_one_savepoint(new_call, dana, team_a, monkeypatch):
    """The routing transaction over warm team facts (issue 15: ≤ 20 ms over 1,000 teams): what each statement is
    for, so a new one (an N+1 over teams or members, a re-read, one more savepoint) shows here first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dispatch import jobs, warm

    monkeypatch.setattr(jobs, "enqueue_routing", lambda **kw: None)
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    warm.snapshot(region="central", now=timezone.now())  # what the teams are: kept from an earlier run
    with CaptureQueriesContext(connection) as ctx:
        [offer] = services.calls_route_waiting(region="central")
    assert offer.call_id == call.pk and offer.team_id == team_a.pk
    sqls = [q["sql"] for q in ctx.captured_queries]
    kinds = [s.split(None, 1)[0] if not s.startswith(("SAVEPOINT", "RELEASE")) else "SAVEPOINT" for s in sqls]
    tables = [
        next((t for t in ("dispatch_call", "responders_team", "dispatch_assignment", "dispatch_triage",
                          "crisis_auditentry", "dispatch_callevent") if f'"{t}"' in s or f" {t} " in s), "")
        for s in sqls
    ]  # fmt: skip
    assert list(zip(kinds, tables, strict=True)) == [
        ("SELECT", "dispatch_call"),  # the waiting calls, locked (SKIP LOCKED)
        ("WITH", "responders_team"),  # live team columns, workloads and the warm facts' fingerprint: one read
        ("SELECT", "dispatch_assignment"),  # earlier refusals of the call
        ("SELECT", "dispatch_triage"),  # its latest screen
        ("SAVEPOINT", ""),  # assignment_offer's one: a refused offer takes its claim back
        ("UPDATE", "responders_team"),  # the conditional claim of the team
        ("INSERT", "crisis_auditentry"),  # the team's status change, audited
        ("INSERT", "dispatch_assignment"),  # the offer
        ("SAVEPOINT", ""),  # released
        ("UPDATE", "dispatch_call"),  # the routing explanation with the call's version: one write of the row
        ("INSERT", "dispatch_callevent"),  # call.offered on its timeline
    ]
    assert '"routing_explanation" = ' in sqls[-2] and '"last_routed_at" = ' in sqls[-2]
    stored = Call.objects.get(pk=call.pk)
    assert stored.routing_explanation["chosen"]["team_id"] == team_a.pk and stored.last_routed_at is not None
    # Nothing read per team or per member on a warm run.
    assert not any("responders_teammember" in s and "xmin" not in s for s in sqls)


def test_by_default_a_call_is_not_held_while_an_eligible_team_is_free(field_call, team_a, team_b):
    # The scene below without the region's opt-in: the free team ~33 km out gets the offer at once.
    Team.objects.filter(pk=team_a.pk).update(
        status="on_scene", status_changed_at=timezone.now() - timedelta(minutes=35)
    )
    Team.objects.filter(pk=team_b.pk).update(latitude=team_b.latitude + 0.3)
    call = field_call()
    assert active(call).team == team_b


@pytest.fixture
def holds_on(settings):
    settings.ROUTING_HOLD_FOR_CLEARING_TEAM = True


@pytest.mark.usefixtures("holds_on")
def test_a_call_is_held_for_a_team_about_to_clear_and_the_board_says_why(field_call, team_a, team_b):
    # Team A has been on scene 35 minutes (expected to clear in 10 of its typical 45) a kilometre away; the only
    # free team is ~33 km out. The call waits for Team A (routing.match's hold), saying so, and is no strand.
    Team.objects.filter(pk=team_a.pk).update(
        status="on_scene", status_changed_at=timezone.now() - timedelta(minutes=35)
    )
    Team.objects.filter(pk=team_b.pk).update(latitude=team_b.latitude + 0.3)
    call = field_call()
    assert call.priority != 1, "priority 1 calls are never held; this test needs a lower one"
    assert active(call) is None and call.status == "awaiting_team"
    reason = call.routing_explanation["waiting_reason"]
    assert reason.startswith("Held for Team A: clears and arrives in ~") and "sooner than any free team" in reason
    assert_no_call_strands()
    # A priority 1 call is not held: Team B takes it at once.
    urgent = field_call(nature="Urgent")
    Call.objects.filter(pk=urgent.pk).update(priority=1)
    services.calls_route_waiting(region=urgent.region)
    assert active(urgent).team == team_b


def test_expected_clear_time_is_the_typical_time_for_the_status_less_the_time_in_it_at_least_five_minutes():
    from dispatch.selectors import expected_clear_seconds

    assert expected_clear_seconds("on_scene", 10 * 60) == 35 * 60
    assert expected_clear_seconds("assigned", 0) == 70 * 60
    assert expected_clear_seconds("on_scene", 60 * 60) == 300
    assert expected_clear_seconds("available", 0) is None


@pytest.mark.usefixtures("holds_on")
def test_a_held_call_in_another_language_is_not_sent_off_with_the_interpreter_line(
    new_call, dana, routed, mobile_crisis, team_a, team_b
):
    # Team A (a Spanish speaker) clears in ~10 minutes a kilometre away; the only free Spanish speaker is ~33 km
    # out. The call is held for Team A: the interpreter line is for a call no free speaker can take, not this one.
    Team.objects.filter(pk=team_a.pk).update(
        status="on_scene", status_changed_at=timezone.now() - timedelta(minutes=35)
    )
    Team.objects.filter(pk=team_b.pk).update(latitude=team_b.latitude + 0.3)
    make_team(
        "Lejos",
        mobile_crisis,
        offset=(0.3, 0.0),
        members=[("lu", "licensed_clinician", ["es"], []), ("lo", "peer_specialist", ["es"], [])],
    )
    call = new_call(language="es")
    routed(services.call_triage, call=call, screen={}, by=dana)
    call.refresh_from_db()
    assert active(call) is None
    assert call.routing_explanation["waiting_reason"].startswith("Held for Team A")
