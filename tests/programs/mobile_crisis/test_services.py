"""programs/mobile_crisis/services.py: recording checks the team and the input; missed follow-ups escalate once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisis.errors import InvalidInput, InvalidTransition
from crisis.models import AuditEntry
from programs.mobile_crisis import services
from programs.mobile_crisis.models import FollowUp
from responders.models import TeamMember

pytestmark = pytest.mark.django_db


def test_recording_keeps_the_next_step_and_audits_it(follow_up_a, rita):
    done = services.follow_up_record(
        follow_up=follow_up_a, by=rita, reached=False, method="visit", note=" No answer ", next_step="Visit Friday"
    )
    done.refresh_from_db()
    assert (done.reached, done.method, done.note, done.next_step, done.completed_by) == (
        False,
        "visit",
        "No answer",
        "Visit Friday",
        rita,
    )
    entry = AuditEntry.objects.get(action="mobile_crisis.follow_up.recorded", object_id=str(done.pk))
    assert entry.actor == rita and entry.detail["reached"] is False and entry.detail["method"] == "visit"


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("rita", True), ("sue", True), ("ada", True), ("bo", False), ("dana", False), ("cam", False), ("nora", False)],
)
def test_who_may_record_team_a_s_follow_up(request, follow_up_a, who, allowed):
    user = request.getfixturevalue(who)
    if allowed:
        services.follow_up_record(follow_up=follow_up_a, by=user, reached=True)
        assert FollowUp.objects.get(pk=follow_up_a.pk).completed_by == user
    else:
        with pytest.raises(PermissionDenied):
            services.follow_up_record(follow_up=follow_up_a, by=user, reached=True)
        assert FollowUp.objects.get(pk=follow_up_a.pk).completed_at is None


def test_a_deactivated_member_may_no_longer_record(follow_up_a, rita):
    TeamMember.objects.filter(user=rita).update(active=False)
    rita = type(rita).objects.get(pk=rita.pk)
    with pytest.raises(PermissionDenied):
        services.follow_up_record(follow_up=follow_up_a, by=rita, reached=True)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("method", {"method": "fax"}),
        ("note", {"note": "x" * (services.NOTE_MAX + 1)}),
        ("next_step", {"next_step": "x" * (services.NEXT_STEP_MAX + 1)}),
        ("reached", {"reached": "yes"}),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(follow_up_a, rita, field, kwargs):
    with pytest.raises(InvalidInput) as exc:
        services.follow_up_record(follow_up=follow_up_a, by=rita, **({"reached": True} | kwargs))
    assert exc.value.field == field
    assert FollowUp.objects.get(pk=follow_up_a.pk).completed_at is None
    assert not AuditEntry.objects.filter(action="mobile_crisis.follow_up.recorded").exists()


def test_recording_twice_is_a_conflict(follow_up_a, rita, sue):
    services.follow_up_record(follow_up=follow_up_a, by=rita, reached=True)
    with pytest.raises(InvalidTransition):
        services.follow_up_record(follow_up=follow_up_a, by=sue, reached=False)
    assert FollowUp.objects.get(pk=follow_up_a.pk).completed_by == rita


def test_missed_follow_ups_escalate_once_and_are_audited(follow_up_a, follow_up_b, rita):
    now = timezone.now()
    FollowUp.objects.filter(pk=follow_up_a.pk).update(due_at=now - timedelta(hours=1))
    FollowUp.objects.filter(pk=follow_up_b.pk).update(due_at=now + timedelta(hours=1))

    assert services.follow_ups_escalate(now=now) == [follow_up_a.pk]
    follow_up_a.refresh_from_db()
    follow_up_b.refresh_from_db()
    assert follow_up_a.escalated_at == now and follow_up_b.escalated_at is None
    entry = AuditEntry.objects.get(action="mobile_crisis.follow_up.escalated")
    assert entry.object_id == str(follow_up_a.pk) and entry.actor is None
    assert entry.detail["team"] == follow_up_a.team_id

    later = now + timedelta(minutes=5)
    assert services.follow_ups_escalate(now=later) == []  # safe to run twice: escalated once
    follow_up_a.refresh_from_db()
    assert follow_up_a.escalated_at == now
    assert AuditEntry.objects.filter(action="mobile_crisis.follow_up.escalated").count() == 1


def test_a_recorded_follow_up_never_escalates(follow_up_a, rita):
    services.follow_up_record(follow_up=follow_up_a, by=rita, reached=True)
    FollowUp.objects.filter(pk=follow_up_a.pk).update(due_at=timezone.now() - timedelta(days=3))
    assert services.follow_ups_escalate(now=timezone.now()) == []


def test_the_beat_schedule_runs_the_check_and_the_task_calls_the_service(follow_up_a):
    from crisis.celery import app
    from programs.mobile_crisis import tasks

    entry = app.conf.beat_schedule["mobile-crisis-follow-ups-escalate"]
    assert entry["task"] == tasks.follow_ups_escalate.name
    assert entry["schedule"] == tasks.ESCALATE_EVERY_SECONDS
    FollowUp.objects.filter(pk=follow_up_a.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert tasks.follow_ups_escalate.delay().get() == 1
    assert tasks.follow_ups_escalate.delay().get() == 0


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=5, minutes=10), "due in 5 h"),
        (timedelta(minutes=20), "due in 20 min"),
        (timedelta(days=3, hours=2), "due in 3 d"),
        (-timedelta(hours=3, minutes=5), "overdue 3 h"),
        (-timedelta(seconds=10), "overdue 1 min"),
    ],
)
def test_the_due_clock(follow_up_a, delta, text):
    now = timezone.now()
    follow_up_a.due_at = now + delta
    assert follow_up_a.due_clock(now) == text
    assert follow_up_a.is_overdue(now) == (delta < timedelta(0))
