"""programs/community_responders/services.py: the referral loop follows its transition table, and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisis.errors import InvalidInput, InvalidTransition
from crisis.models import AuditEntry
from programs.community_responders import services
from programs.community_responders.models import (
    FHIR_TASK_STATUS,
    REFERRAL_DUE,
    TRANSITIONS,
    Referral,
    ReferralStatus,
)

pytestmark = pytest.mark.django_db

S = ReferralStatus
# How to reach each status from "sent".
PATH = {
    S.SENT: [],
    S.ACCEPTED: [S.ACCEPTED],
    S.APPOINTMENT: [S.ACCEPTED, S.APPOINTMENT],
    S.ATTENDED: [S.ACCEPTED, S.APPOINTMENT, S.ATTENDED],
    S.NO_SHOW: [S.ACCEPTED, S.APPOINTMENT, S.NO_SHOW],
    S.DECLINED: [S.DECLINED],
    S.CANCELLED: [S.CANCELLED],
}
ALLOWED = {
    (S.SENT, S.ACCEPTED),
    (S.SENT, S.DECLINED),
    (S.SENT, S.CANCELLED),
    (S.ACCEPTED, S.APPOINTMENT),
    (S.ACCEPTED, S.DECLINED),
    (S.ACCEPTED, S.CANCELLED),
    (S.APPOINTMENT, S.ATTENDED),
    (S.APPOINTMENT, S.NO_SHOW),
    (S.APPOINTMENT, S.CANCELLED),
}
FHIR = {
    "sent": "requested",
    "accepted": "accepted",
    "appointment": "in-progress",
    "attended": "completed",
    "no_show": "failed",
    "declined": "rejected",
    "cancelled": "cancelled",
}


def test_the_table_in_the_code_is_the_table_here():
    assert {(a, b) for a, nexts in TRANSITIONS.items() for b in nexts} == ALLOWED
    assert FHIR_TASK_STATUS == FHIR


@pytest.mark.parametrize("to", S.values)
@pytest.mark.parametrize("frm", S.values)
def test_every_transition(team_a_call, dana, partner, frm, to):
    referral = services.referral_create(call=team_a_call, by=dana, partner=partner, service="Intake")
    for step in PATH[frm]:
        referral = services.referral_set_status(referral=referral, status=step, by=dana)
    assert referral.status == frm
    if (frm, to) in ALLOWED:
        done = services.referral_set_status(referral=referral, status=to, by=dana, note="ok")
        assert done.status == to and done.fhir_status == FHIR[to]
        entry = AuditEntry.objects.filter(action="community_responders.referral.status_changed").latest("pk")
        assert (entry.detail["from_status"], entry.detail["to_status"], entry.actor) == (frm, to, dana)
    else:
        with pytest.raises(InvalidTransition):
            services.referral_set_status(referral=referral, status=to, by=dana)
        assert Referral.objects.get(pk=referral.pk).status == frm


def test_a_referral_from_the_directory_is_owned_and_due(team_a_call, rita, partner):
    before = timezone.now()
    referral = services.referral_create(call=team_a_call, by=rita, partner=partner, service="Medication review")
    assert (referral.agency, referral.owner, referral.status, referral.fhir_status) == (
        "Northside Clinic",
        rita,
        "sent",
        "requested",
    )
    assert before + REFERRAL_DUE <= referral.due_at <= timezone.now() + REFERRAL_DUE
    assert AuditEntry.objects.filter(
        action="community_responders.referral.created", object_id=str(referral.pk)
    ).exists()


def test_the_appointment_sets_the_next_due_time_and_closing_clears_it(team_a_call, rita, partner):
    referral = services.referral_create(call=team_a_call, by=rita, partner=partner, service="Intake")
    referral = services.referral_set_status(referral=referral, status="accepted", by=rita)
    appointment = timezone.now() + timedelta(days=5)
    referral = services.referral_set_status(referral=referral, status="appointment", by=rita, due_at=appointment)
    assert referral.due_at == appointment and referral.is_open
    referral = services.referral_set_status(referral=referral, status="attended", by=rita)
    assert referral.due_at is None and not referral.is_open and not referral.is_overdue(timezone.now())


def test_overdue(team_a_call, rita, partner):
    referral = services.referral_create(call=team_a_call, by=rita, partner=partner, service="Intake")
    assert not referral.is_overdue(timezone.now())
    assert referral.is_overdue(timezone.now() + REFERRAL_DUE + timedelta(minutes=1))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"status": "accepted", "note": "x" * (services.NOTE_MAX + 1)}, "note"),
    ],
)
def test_bad_status_input_is_a_400(team_a_call, dana, partner, kwargs, field):
    referral = services.referral_create(call=team_a_call, by=dana, partner=partner, service="Intake")
    with pytest.raises(InvalidInput) as exc:
        services.referral_set_status(referral=referral, by=dana, **kwargs)
    assert exc.value.field == field
    assert Referral.objects.get(pk=referral.pk).status == "sent"


def test_an_inactive_partner_takes_no_new_referrals(team_a_call, dana, partner):
    partner.active = False
    partner.save()
    with pytest.raises(InvalidInput):
        services.referral_create(call=team_a_call, by=dana, partner=partner, service="Intake")
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("who", "allowed"), [("rita", True), ("dana", True), ("sue", True), ("bo", False), ("oli", False)]
)
def test_who_may_move_a_referral(request, team_a_call, dana, partner, who, allowed):
    referral = services.referral_create(call=team_a_call, by=dana, partner=partner, service="Intake")
    user = request.getfixturevalue(who)
    if allowed:
        assert services.referral_set_status(referral=referral, status="accepted", by=user).status == "accepted"
    else:
        with pytest.raises(PermissionDenied):
            services.referral_set_status(referral=referral, status="accepted", by=user)


def test_the_owner_may_move_it_even_off_the_call_s_team(team_a_call, dana, bo, partner):
    referral = services.referral_create(call=team_a_call, by=dana, partner=partner, service="Intake", owner=bo)
    assert services.referral_set_status(referral=referral, status="accepted", by=bo).status == "accepted"
