"""FACT services: eligibility, contacts, goals, outcomes, discharge, the on-call rota; each checked and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import AuditEntry, Person
from programs.fact import selectors, services
from programs.fact.models import Enrollment, OnCallShift
from tests.support.fact import ELIGIBLE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "eligibility, field",
    [
        ({"serious_mental_illness": False, "justice_involvement": "probation"}, "serious_mental_illness"),
        ({"serious_mental_illness": True, "justice_involvement": ""}, "justice_involvement"),
        ({"serious_mental_illness": True, "justice_involvement": "speeding"}, "justice_involvement"),
    ],
)
def test_enrolment_requires_recorded_eligibility(person, fact_team, fay, eligibility, field):
    with pytest.raises(InvalidInput) as err:
        services.enrollment_create(person=person, team=fact_team, by=fay, **eligibility)
    assert err.value.field == field
    assert not Enrollment.objects.exists()


def test_enrolment_records_eligibility_and_baseline_and_audits(enrolled, fay):
    assert (enrolled.serious_mental_illness, enrolled.justice_involvement, enrolled.jail_days_before) == (
        True,
        "probation",
        40,
    )
    entry = AuditEntry.objects.get(action="fact.enrollment.created", object_id=str(enrolled.pk))
    assert entry.actor == fay and entry.detail["justice_involvement"] == "probation"


def test_only_the_team_or_a_supervisor_enrols(person, fact_team, rita, sue, hal):
    with pytest.raises(PermissionDenied):
        services.enrollment_create(person=person, team=fact_team, by=rita, **ELIGIBLE)
    with pytest.raises(PermissionDenied):
        services.enrollment_create(person=person, team=fact_team, by=hal, **ELIGIBLE)
    assert services.enrollment_create(person=person, team=fact_team, by=sue, **ELIGIBLE).team == fact_team


def test_a_person_has_one_open_enrolment(enrolled, fact_team_2, sue):
    with pytest.raises(Conflict):
        services.enrollment_create(person=enrolled.person, team=fact_team_2, by=sue, **ELIGIBLE)


def test_not_a_fact_team(person, team_a, sue):
    with pytest.raises(InvalidInput):
        services.enrollment_create(person=person, team=team_a, by=sue, **ELIGIBLE)


def test_outcomes_before_vs_after_with_crisis_calls_from_calls(enrolled, fay, new_call):
    from dispatch.models import Call

    person = enrolled.person
    before = new_call(person=person)
    Call.objects.filter(pk=before.pk).update(received_at=timezone.now() - timedelta(days=100))
    Call.objects.filter(pk=new_call(person=person).pk).update(received_at=timezone.now() - timedelta(days=500))
    new_call(person=person)  # after enrolment
    new_call(person=Person.objects.create(first_name="Other"))
    services.outcome_record(enrollment=enrolled, by=fay, kind="arrest", on=timezone.localdate(), days=9)
    services.outcome_record(enrollment=enrolled, by=fay, kind="hospital", on=timezone.localdate(), days=4)
    services.outcome_record(enrollment=enrolled, by=fay, kind="hospital", on=timezone.localdate(), days=2)
    rows, days = selectors.outcomes_for(enrolled, today=timezone.localdate())
    table = {r.label: (r.before, r.after) for r in rows}
    assert table == {
        "Arrests": (3, 1),
        "Days in jail": (40, 0),
        "Days in hospital": (12, 6),
        "Crisis calls": (1, 1),  # the call 500 days ago is outside the year before enrolment
    }
    assert days == 61


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"kind": "jail", "days": 0}, "days"),
        ({"kind": "jail", "days": -1}, "days"),
        ({"kind": "parking", "days": 1}, "kind"),
        ({"kind": "jail", "days": 2, "on_offset": 1}, "on"),
        ({"kind": "jail", "days": 2, "on_offset": -61}, "on"),
    ],
)
def test_outcome_refuses_bad_input(enrolled, fay, kwargs, field):
    on = timezone.localdate() + timedelta(days=kwargs.pop("on_offset", 0))
    with pytest.raises(InvalidInput) as err:
        services.outcome_record(enrollment=enrolled, by=fay, on=on, **kwargs)
    assert err.value.field == field


def test_goals_add_and_change_status_audited(enrolled, fay):
    goal = services.goal_add(enrollment=enrolled, by=fay, text="Keeps every probation appointment")
    goal = services.goal_set_status(goal=goal, by=fay, status="met")
    assert goal.status == "met" and goal.updated_by == fay
    with pytest.raises(InvalidTransition):
        services.goal_set_status(goal=goal, by=fay, status="met")
    with pytest.raises(InvalidInput):
        services.goal_add(enrollment=enrolled, by=fay, text="   ")
    changed = AuditEntry.objects.get(action="fact.goal.status_changed")
    assert changed.detail == {"person": enrolled.person_id, "from_status": "active", "to_status": "met"}


def test_another_team_may_not_touch_the_client(enrolled, hal, rita, dana):
    for user in (hal, rita, dana):
        with pytest.raises(PermissionDenied):
            services.contact_record(enrollment=enrolled, by=user, method="visit")


def test_discharge_with_reason_then_nothing_more(enrolled, fay):
    with pytest.raises(InvalidInput):
        services.enrollment_discharge(enrollment=enrolled, by=fay, reason="")
    done = services.enrollment_discharge(enrollment=enrolled, by=fay, reason="stepped_down", note="Stable 6 months")
    assert (done.discharged_on, done.discharge_reason) == (timezone.localdate(), "stepped_down")
    with pytest.raises(InvalidTransition):
        services.enrollment_discharge(enrollment=done, by=fay, reason="moved")
    with pytest.raises(InvalidTransition):
        services.contact_record(enrollment=done, by=fay, method="visit")
    assert AuditEntry.objects.get(action="fact.enrollment.discharged").detail["reason"] == "stepped_down"


def test_on_call_rota_no_overlap_supervisor_only(fact_team, fay, sue, hal):
    now = timezone.now()
    services.on_call_add(team=fact_team, member=fay, starts_at=now, ends_at=now + timedelta(hours=12), by=sue)
    with pytest.raises(PermissionDenied):
        services.on_call_add(
            team=fact_team, member=fay, starts_at=now + timedelta(hours=12), ends_at=now + timedelta(hours=20), by=fay
        )
    with pytest.raises(Conflict):
        services.on_call_add(
            team=fact_team, member=fay, starts_at=now + timedelta(hours=11), ends_at=now + timedelta(hours=20), by=sue
        )
    with pytest.raises(InvalidInput) as err:
        services.on_call_add(
            team=fact_team, member=hal, starts_at=now + timedelta(hours=12), ends_at=now + timedelta(hours=20), by=sue
        )
    assert err.value.field == "member"
    assert selectors.on_call_now([fact_team.pk], now + timedelta(minutes=1))[fact_team.pk].member == fay
    assert OnCallShift.objects.count() == 1
    assert AuditEntry.objects.filter(action="fact.on_call.added").count() == 1


def test_caseload_ratio_against_the_programs_target(enrolled, fact_team, fact_program, fay, sue, fay_on_call):
    for i in range(20):
        services.enrollment_create(person=Person.objects.create(first_name=f"C{i}"), team=fact_team, by=fay, **ELIGIBLE)
    (load,) = selectors.caseloads_for(fay, now=timezone.now())
    assert (len(load.clients), load.staff, load.ratio, load.target, load.over_target) == (21, 2, 10.5, 10, True)
    assert load.on_call.member == fay
    fact_program.clients_per_staff = 12
    fact_program.save()
    (load,) = selectors.caseloads_for(fay, now=timezone.now())
    assert (load.target, load.over_target) == (12, False)
    assert len(selectors.caseloads_for(sue, now=timezone.now())) == 1
