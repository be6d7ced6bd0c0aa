"""The history lookup pages (crisis/history/views.py): role first, purpose always, one audit row per view."""

from __future__ import annotations

import pytest

from crisis.history import services
from crisis.history.models import ClinicalRecord, ResponsePlan
from crisis.models import AuditEntry

pytestmark = pytest.mark.django_db

PURPOSE = "Officer consult #7: welfare check"


@pytest.fixture
def record(person):
    ClinicalRecord.objects.create(person=person, on="2024-05-01", source="County BH", summary="Admitted, mania")
    return person


@pytest.mark.parametrize("persona, status", [("cam", 200), ("sue", 200), ("dana", 403), ("oli", 403), ("ada", 403)])
def test_the_search_page_by_role(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/history/").status_code == status


def test_a_search_without_purpose_is_a_form_error_and_no_audit_row(client, cam, person):
    client.force_login(cam)
    response = client.get("/history/", {"name": "Hill", "purpose": ""})
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert not AuditEntry.objects.filter(action=services.SEARCHED).exists()


def test_a_search_lists_people_with_links_that_carry_the_purpose(client, cam, person):
    client.force_login(cam)
    response = client.get("/history/", {"name": "hill", "purpose": PURPOSE})
    assert response.status_code == 200
    assert f"/history/people/{person.pk}/?purpose=Officer%20consult%20%237".encode() in response.content
    assert AuditEntry.objects.filter(action=services.SEARCHED).count() == 1


def test_opening_a_person_asks_for_the_purpose_first(client, cam, record):
    client.force_login(cam)
    response = client.get(f"/history/people/{record.pk}/")
    assert response.status_code == 200 and b'id="purpose-form"' in response.content
    assert b"Admitted" not in response.content
    # No lookup yet: only the person's name is shown, a read of their identity like the person page's.
    assert list(AuditEntry.objects.values_list("action", "object_id", "detail")) == [
        ("people.person.viewed", str(record.pk), {"via": "history"})
    ]


def test_the_view_keeps_clinical_history_behind_the_glass_then_break_glass_opens_it(client, cam, record):
    client.force_login(cam)
    response = client.get(f"/history/people/{record.pk}/", {"purpose": PURPOSE})
    assert response.status_code == 200
    assert b"Admitted" not in response.content and b'id="break-glass"' in response.content
    response = client.post(
        f"/history/people/{record.pk}/", {"purpose": PURPOSE, "reason": "Threatening to jump, no consent on file"}
    )
    assert response.status_code == 200
    assert b"Admitted, mania" in response.content and b"supervisors alerted" in response.content
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == [services.VIEWED, services.BREAK_GLASS]


def test_a_break_glass_without_a_reason_is_a_400_and_shows_nothing(client, cam, record):
    client.force_login(cam)
    response = client.post(f"/history/people/{record.pk}/", {"purpose": PURPOSE, "reason": ""})
    assert response.status_code == 400 and b"Admitted" not in response.content
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["people.person.viewed"]  # the name only


def test_the_clinician_writes_the_plan_and_the_supervisor_may_not(client, cam, sue, person):
    client.force_login(sue)
    data = {"purpose": PURPOSE, "triggers": "Sirens", "what_helps": "Water", "who_to_call": "Ana", "officer_view": "on"}
    assert client.post(f"/history/people/{person.pk}/plan/", data).status_code == 403
    client.force_login(cam)
    response = client.post(f"/history/people/{person.pk}/plan/", data)
    assert response.status_code == 302 and "purpose=" in response["Location"]
    plan = ResponsePlan.objects.get(person=person)
    assert (plan.triggers, plan.officer_view) == ("Sirens", True)
    response = client.post(f"/history/people/{person.pk}/plan/", data | {"triggers": "x" * 5000})
    assert response.status_code == 400
    plan.refresh_from_db()
    assert plan.triggers == "Sirens"


# --- Recording and revoking consent (clinicians) ------------------------------------------------------------


def test_a_clinician_records_a_consent_and_the_next_view_opens_clinical_history(client, cam, record):
    from crisis.history.models import Consent

    client.force_login(cam)
    page = client.get(f"/history/people/{record.pk}/", {"purpose": PURPOSE}).content.decode()
    assert 'id="consent-form"' in page and "No consent on file" in page
    response = client.post(
        f"/history/people/{record.pk}/consents/",
        {"purpose": PURPOSE, "scope": "clinical_history", "document": "Scanned to the EHR"},
    )
    assert response.status_code == 302 and "purpose=Officer+consult" in response["Location"]
    consent = Consent.objects.get(person=record)
    assert (consent.scope, consent.recorded_by, consent.document) == ("clinical_history", cam, "Scanned to the EHR")
    assert AuditEntry.objects.filter(action="history.consent.recorded", object_id=str(consent.pk)).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Admitted, mania" in page and "in force" in page

    revoke = client.post(f"/history/people/{record.pk}/consents/{consent.pk}/revoke/", {"purpose": PURPOSE})
    assert revoke.status_code == 302
    assert "Admitted, mania" not in client.get(revoke["Location"]).content.decode()
    again = client.post(f"/history/people/{record.pk}/consents/{consent.pk}/revoke/", {"purpose": PURPOSE})
    assert again.status_code == 409 and b"already revoked" in again.content


@pytest.mark.parametrize(
    "body", [{"scope": "pizza"}, {"scope": "part2", "granted_on": "2026-05-02", "expires_on": "2026-05-01"}]
)
def test_a_bad_consent_is_a_400_and_nothing_is_recorded(client, cam, person, body):
    from crisis.history.models import Consent

    client.force_login(cam)
    assert client.post(f"/history/people/{person.pk}/consents/", body).status_code == 400
    assert not Consent.objects.exists()


@pytest.mark.parametrize("persona", ["sue", "dana", "oli", "ada"])
def test_only_clinicians_record_consents(client, person, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(f"/history/people/{person.pk}/consents/", {"scope": "clinical_history"})
    assert response.status_code == 403
