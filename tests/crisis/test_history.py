"""Consent-scoped history (crisis/history/services.py): purpose, consent tiers, break the glass, Part 2, audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisis import permissions, realtime
from crisis.errors import InvalidInput
from crisis.history import services
from crisis.history.models import ClinicalRecord, Consent, ConsentScope, Part2Record
from crisis.models import AuditEntry, Person

pytestmark = pytest.mark.django_db

PURPOSE = "Officer consult #1: man on the bridge"


@pytest.fixture
def marcus(person):
    person.date_of_birth = date(1984, 3, 2)
    person.save()
    ClinicalRecord.objects.create(person=person, on=date(2024, 5, 1), source="County BH", summary="Admitted, mania")
    Part2Record.objects.create(person=person, on=date(2023, 1, 9), program_name="Opioid TP", summary="Methadone")
    return person


@pytest.fixture
def plan(marcus, cam):
    return services.response_plan_save(
        person=marcus,
        by=cam,
        triggers="Sirens, being touched",
        what_helps="Speak slowly, offer water",
        who_to_call="Sister Ana 312-555-0199",
        officer_view=True,
    )


def audit_rows(action):
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_search_needs_a_purpose_and_is_one_audit_row_with_it(cam, marcus):
    with pytest.raises(InvalidInput) as caught:
        services.history_search(by=cam, purpose="  ", name="Hill")
    assert caught.value.field == "purpose"
    assert not audit_rows(services.SEARCHED)
    found = services.history_search(by=cam, purpose=PURPOSE, name="marcus hill")
    assert found == [marcus]
    (row,) = audit_rows(services.SEARCHED)
    assert (row.actor, row.detail["purpose"], row.detail["results"]) == (cam, PURPOSE, [marcus.pk])


def test_search_by_date_of_birth_and_needs_something_to_search_for(cam, marcus):
    assert services.history_search(by=cam, purpose=PURPOSE, date_of_birth=date(1984, 3, 2)) == [marcus]
    assert services.history_search(by=cam, purpose=PURPOSE, name="Hill", date_of_birth=date(1990, 1, 1)) == []
    with pytest.raises(InvalidInput):
        services.history_search(by=cam, purpose=PURPOSE)


def test_without_consent_a_view_shows_the_plan_only(cam, marcus, plan):
    view = services.history_view(person=marcus, by=cam, purpose=PURPOSE)
    assert view.plan == plan
    assert view.clinical is None and view.part2 is None
    assert set(view.locked) == {"clinical_history", "part2"}
    (row,) = audit_rows(services.VIEWED)
    assert row.detail == {"purpose": PURPOSE, "shown": ["response_plan"]}
    assert row.object_id == str(marcus.pk)


def test_with_clinical_consent_history_shows_without_breaking_the_glass(cam, marcus, sent_events):
    services.consent_record(person=marcus, scope=ConsentScope.CLINICAL_HISTORY, by=cam)
    view = services.history_view(person=marcus, by=cam, purpose=PURPOSE)
    assert view.clinical_basis == "consent" and [r.summary for r in view.clinical] == ["Admitted, mania"]
    assert view.clinical_note == "Bipolar I"
    assert view.part2 is None  # clinical consent is not Part 2 consent
    assert not audit_rows(services.BREAK_GLASS) and not sent_events


def test_break_the_glass_opens_clinical_history_alerts_supervisors_and_is_audited(
    cam, sue, marcus, sent_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        view = services.history_view(
            person=marcus, by=cam, purpose=PURPOSE, break_glass_reason="Threatening to jump, no consent on file"
        )
    assert view.clinical_basis == "break_glass" and view.clinical
    # Part 2 stays closed: only the person's written Part 2 consent opens it.
    assert view.part2 is None and "part2" in view.locked
    (row,) = audit_rows(services.BREAK_GLASS)
    assert row.detail["reason"] == "Threatening to jump, no consent on file"
    assert row.detail["purpose"] == PURPOSE and row.detail["shown"] == ["clinical_history"]
    assert not audit_rows(services.VIEWED)  # one view, one row
    (alert,) = [m for m in sent_events if m["kind"] == "history.break_glass"]
    assert alert["group"] == realtime.OVERSIGHT_GROUP
    assert alert["data"] == services.break_glass_row(row)
    assert alert["data"]["person"] == "Marcus Hill" and alert["data"]["by"] == "cam"
    assert services.break_glass_recent() == [alert["data"]]


def test_a_break_glass_reason_must_say_something(cam, marcus):
    with pytest.raises(InvalidInput) as caught:
        services.history_view(person=marcus, by=cam, purpose=PURPOSE, break_glass_reason="because")
    assert caught.value.field == "reason"
    assert not AuditEntry.objects.filter(action__startswith="history.person").exists()


def test_part2_records_only_with_part2_consent_and_with_the_redisclosure_notice(cam, marcus):
    services.consent_record(person=marcus, scope=ConsentScope.PART2, by=cam)
    view = services.history_view(person=marcus, by=cam, purpose=PURPOSE)
    assert [r.summary for r in view.part2] == ["Methadone"]
    assert (
        "42 CFR part 2" in view.part2_notice and "prohibit you from making any further disclosure" in view.part2_notice
    )
    assert view.clinical is None  # Part 2 consent is not clinical consent
    (row,) = audit_rows(services.VIEWED)
    assert row.detail["shown"] == ["part2"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"revoked_at": timezone.now()}, id="revoked"),
        pytest.param({"expires_on": timezone.localdate() - timedelta(days=1)}, id="expired"),
        pytest.param({"granted_on": timezone.localdate() + timedelta(days=3)}, id="not yet given"),
    ],
)
def test_a_consent_not_in_force_opens_nothing(cam, marcus, change):
    consent = services.consent_record(person=marcus, scope=ConsentScope.PART2, by=cam)
    Consent.objects.filter(pk=consent.pk).update(**change)
    view = services.history_view(person=marcus, by=cam, purpose=PURPOSE)
    assert view.part2 is None


def test_a_revoked_consent_is_audited_and_cannot_be_revoked_twice(cam, marcus):
    from crisis.errors import InvalidTransition

    consent = services.consent_record(person=marcus, scope=ConsentScope.CLINICAL_HISTORY, by=cam)
    services.consent_revoke(consent=consent, by=cam)
    with pytest.raises(InvalidTransition):
        services.consent_revoke(consent=consent, by=cam)
    assert [r.action for r in AuditEntry.objects.filter(object_type="history.consent").order_by("id")] == [
        "history.consent.recorded",
        "history.consent.revoked",
    ]


def test_the_plan_is_the_clinicians_and_its_officer_view_flag_is_audited(cam, sue, marcus, plan):
    with pytest.raises(PermissionDenied):
        services.response_plan_save(
            person=marcus, by=sue, triggers="", what_helps="", who_to_call="", officer_view=False
        )
    services.response_plan_save(
        person=marcus, by=cam, triggers=plan.triggers, what_helps=plan.what_helps, who_to_call="", officer_view=False
    )
    plan.refresh_from_db()
    assert plan.officer_view is False and plan.who_to_call == ""
    last = AuditEntry.objects.filter(action="history.response_plan.saved").order_by("-id").first()
    assert last.detail["changed"] == ["officer_view", "who_to_call"] and last.detail["officer_view"] is False


# persona -> may search (and view), may break the glass, may write a plan, may see a plan's officer view
HISTORY_TABLE = {
    "dana": (False, False, False, False),
    "cam": (True, True, True, False),
    "sue": (True, True, False, False),
    "oli": (False, False, False, True),
    "ada": (False, False, False, False),
    "rita": (False, False, False, False),
    "nora": (False, False, False, False),
}


@pytest.mark.parametrize("persona", list(HISTORY_TABLE))
def test_history_rules_table(request, persona, plan):
    user = request.getfixturevalue(persona)
    got = (
        permissions.may_search_history.test(user),
        permissions.may_break_glass.test(user),
        permissions.may_edit_response_plan.test(user),
        permissions.may_see_officer_plan.test(user, plan),
    )
    assert got == HISTORY_TABLE[persona]


@pytest.mark.parametrize("persona", [p for p, row in HISTORY_TABLE.items() if not row[0]])
def test_roles_without_the_lookup_are_refused_and_leave_no_row(request, persona, marcus):
    user = request.getfixturevalue(persona)
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.history_search(by=user, purpose=PURPOSE, name="Hill")
    with pytest.raises(PermissionDenied):
        services.history_view(person=marcus, by=user, purpose=PURPOSE, break_glass_reason="Urgent, on scene now")
    assert AuditEntry.objects.count() == before


def test_no_officer_view_when_the_plan_says_no(oli, plan):
    plan.officer_view = False
    assert not permissions.may_see_officer_plan.test(oli, plan)


def test_people_without_records_show_none_on_file(cam):
    nobody = Person.objects.create(first_name="Ann", last_name="Lee")
    view = services.history_view(person=nobody, by=cam, purpose=PURPOSE)
    assert view.plan is None and view.part2 is None and "part2" not in view.locked
