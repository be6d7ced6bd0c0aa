"""Stalled hand-offs escalate to the owner, then (after the grace) to supervisors: once, audited, live after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisis import realtime
from crisis.errors import InvalidTransition
from crisis.models import AuditEntry
from programs import escalations, tasks
from programs.community_responders import services as referrals
from programs.crisis_stabilization import services as stabilization
from programs.mobile_crisis import services as follow_ups
from programs.models import Escalation
from tests.factories import closed_field_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(new_call, dana, rita, team_a, person):
    return closed_field_response(new_call, dana, rita, team_a, person=person)


def groups_of(sent_events, kind=escalations.EVENT_KIND):
    return [(m["data"]["level"], m["group"]) for m in sent_events if m["kind"] == kind]


def run(now, capture):
    with capture(execute=True):
        return escalations.escalations_raise(now=now)


def test_a_stalled_follow_up_alerts_its_team_then_supervisors_after_the_grace_once(
    follow_up, settings, sent_events, django_capture_on_commit_callbacks
):
    settings.CARE_ESCALATION_GRACE_MINUTES = 30
    late = follow_up.due_at + timedelta(minutes=1)
    assert run(follow_up.due_at - timedelta(minutes=1), django_capture_on_commit_callbacks) == []
    first = run(late, django_capture_on_commit_callbacks)
    owner = Escalation.objects.get(pk__in=first)
    assert (owner.level, owner.team_id, owner.owner_id) == ("owner", follow_up.team_id, None)
    assert groups_of(sent_events) == [("owner", realtime.care_team_group(follow_up.team_id))]
    # Re-runs inside the grace add nothing; after it, supervisors hear of it, once.
    assert run(late + timedelta(minutes=29), django_capture_on_commit_callbacks) == []
    second = run(late + timedelta(minutes=30), django_capture_on_commit_callbacks)
    assert Escalation.objects.get(pk__in=second).level == "supervisor"
    assert run(late + timedelta(minutes=31), django_capture_on_commit_callbacks) == []
    assert groups_of(sent_events)[-1] == ("supervisor", realtime.CARE_SUPERVISORS_GROUP)
    assert Escalation.objects.count() == 2
    assert AuditEntry.objects.filter(action="programs.escalation.raised").count() == 2


def test_nothing_goes_out_when_the_run_rolls_back(follow_up, sent_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        escalations.escalations_raise(now=follow_up.due_at + timedelta(minutes=1))
    assert sent_events == []


def test_recording_the_follow_up_resolves_its_escalations(
    follow_up, rita, sent_events, django_capture_on_commit_callbacks
):
    late = follow_up.due_at + timedelta(minutes=1)
    run(late, django_capture_on_commit_callbacks)
    follow_ups.follow_up_record(follow_up=follow_up, by=rita, reached=True, method="phone", note="ok")
    run(late + timedelta(minutes=2), django_capture_on_commit_callbacks)
    e = Escalation.objects.get()
    assert e.resolved_at == late + timedelta(minutes=2)
    assert sent_events[-1]["data"]["resolved_at"] is not None and sent_events[-1]["data"]["open"] is False
    assert AuditEntry.objects.filter(action="programs.escalation.resolved").count() == 1


def test_a_referral_alerts_its_owner_in_person(
    new_call, dana, rita, team_a, person, sent_events, django_capture_on_commit_callbacks
):
    from dispatch import services as dispatch

    call = new_call(person=person)
    dispatch.call_triage(call=call, screen={}, by=dana)
    dispatch.call_assign(call=call, team=team_a, by=dana, reason="radio")
    referral = referrals.referral_create(call=call, by=dana, owner=rita, agency="Northside Clinic", service="Intake")
    run(referral.due_at + timedelta(minutes=1), django_capture_on_commit_callbacks)
    e = Escalation.objects.get(kind="referral")
    assert (e.owner_id, e.level) == (rita.pk, "owner")
    assert ("owner", realtime.inbox_group(rita.pk)) in groups_of(sent_events)


def test_an_episode_stalls_on_its_next_contact_and_past_its_planned_end(
    episode, cora, django_capture_on_commit_callbacks
):
    run(episode.due_at + timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert list(Escalation.objects.values_list("kind", "owner")) == [("stabilization contact", cora.pk)]
    stabilization.episode_contact_record(
        episode=episode, by=cora, method="phone", next_due_at=timezone.now() + timedelta(days=30)
    )
    past_end = timezone.now() + timedelta(days=16)
    run(past_end, django_capture_on_commit_callbacks)
    kinds = dict(Escalation.objects.filter(resolved_at__isnull=True).values_list("kind", "level"))
    assert kinds == {"stabilization discharge": "owner"}


def test_the_owner_or_a_supervisor_acknowledges_once(follow_up, rita, bo, sue, django_capture_on_commit_callbacks):
    run(follow_up.due_at + timedelta(minutes=1), django_capture_on_commit_callbacks)
    e = Escalation.objects.get()
    with pytest.raises(PermissionDenied):
        escalations.escalation_acknowledge(escalation=e, by=bo, now=timezone.now())
    escalations.escalation_acknowledge(escalation=e, by=rita, now=timezone.now())
    assert (e.acknowledged_by, e.is_open) == (rita, False)
    with pytest.raises(InvalidTransition, match="already acknowledged"):
        escalations.escalation_acknowledge(escalation=e, by=sue, now=timezone.now())
    assert AuditEntry.objects.filter(action="programs.escalation.acknowledged").count() == 1


def test_a_supervisors_escalation_is_the_supervisors_to_acknowledge(
    follow_up, rita, sue, settings, django_capture_on_commit_callbacks
):
    settings.CARE_ESCALATION_GRACE_MINUTES = 0
    run(follow_up.due_at + timedelta(minutes=1), django_capture_on_commit_callbacks)
    sup = Escalation.objects.get(level="supervisor")
    with pytest.raises(PermissionDenied):
        escalations.escalation_acknowledge(escalation=sup, by=rita, now=timezone.now())
    escalations.escalation_acknowledge(escalation=sup, by=sue, now=timezone.now())


def test_the_periodic_task_runs_the_service(follow_up, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: follow_up.due_at + timedelta(minutes=1))
    assert tasks.escalations_raise() == 1
    assert tasks.escalations_raise() == 0
