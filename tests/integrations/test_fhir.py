"""integrations/fhir.py and /fhir/: referrals as ServiceRequest + Task; a partner's Task update moves the referral."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from rest_framework.test import APIClient

from crisis.models import AuditEntry
from dispatch import services as dispatch
from integrations import fhir, services
from programs.community_responders.models import Partner
from programs.community_responders.services import referral_create
from tests.support.idempotency import send_twice

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(db):
    return Partner.objects.create(name="Northside Clinic", services="Outpatient psychiatry")


@pytest.fixture
def referral(new_call, person, dana, bo, team_b, clinic):
    call = new_call(person=person)
    dispatch.call_triage(call=call, screen={}, by=dana)
    dispatch.call_assign(call=call, team=team_b, by=dana, reason="closest")
    call.refresh_from_db()
    return referral_create(call=call, by=bo, partner=clinic, service="Psychiatric intake")


@pytest.fixture
def clinic_system(ada, clinic):
    partner, credentials = services.partner_create(
        name="Northside EHR", by=ada, directory_partner=clinic, purpose="Referral for treatment"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {credentials.token}")
    partner.client = client
    return partner


def test_a_referral_is_a_valid_sdoh_service_request_and_task(referral, person):
    sr = fhir.service_request(referral)
    task = fhir.task(referral)
    ServiceRequest.model_validate(sr)
    Task.model_validate(task)
    assert sr["meta"]["profile"] == [fhir.PROFILE_SERVICE_REQUEST]
    assert task["meta"]["profile"] == [fhir.PROFILE_TASK]
    assert (sr["status"], task["status"], task["intent"]) == ("active", "requested", "order")
    assert task["focus"] == {"reference": f"ServiceRequest/{referral.pk}"}
    assert sr["subject"] == task["for"] == {"reference": f"Patient/{person.pk}", "display": "Marcus Hill"}
    assert sr["performer"] == [{"display": "Northside Clinic"}] == [task["owner"]]


def test_the_partner_reads_both_as_fhir_json_and_each_read_is_a_disclosure(clinic_system, referral, person):
    for resource in ("ServiceRequest", "Task"):
        response = clinic_system.client.get(f"/fhir/{resource}/{referral.pk}")
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("application/fhir+json")
        assert json.loads(response.content)["resourceType"] == resource
    rows = list(AuditEntry.objects.filter(action="disclosure.fhir").order_by("id"))
    assert [r.detail["records"] for r in rows] == [[f"ServiceRequest/{referral.pk}"], [f"Task/{referral.pk}"]]
    assert {(r.object_type, r.object_id, r.detail["recipient"]) for r in rows} == {
        ("crisis.person", str(person.pk), "Northside EHR")
    }
    assert rows[0].detail["purpose"] == "Referral for treatment"


def test_the_partner_drives_the_closed_loop_through_the_task(clinic_system, referral):
    url = f"/fhir/Task/{referral.pk}"
    put = clinic_system.client.put(
        url,
        json.dumps({"resourceType": "Task", "id": str(referral.pk), "status": "accepted", "intent": "order"}),
        content_type="application/fhir+json",
    )
    assert put.status_code == 200, put.content
    assert json.loads(put.content)["status"] == "accepted"
    referral.refresh_from_db()
    assert referral.status == "accepted"
    patch = clinic_system.client.patch(
        url,
        json.dumps([{"op": "replace", "path": "/status", "value": "in-progress"}]),
        content_type="application/json-patch+json",
    )
    assert patch.status_code == 200, patch.content
    referral.refresh_from_db()
    assert referral.status == "appointment"
    # The referral service wrote it: its audit row names the partner's account.
    row = AuditEntry.objects.filter(action="community_responders.referral.status_changed").latest("id")
    assert row.actor == clinic_system.user
    assert row.detail["to_status"] == "appointment"
    # The loop's table refuses a jump back (409), and a status outside FHIR or outside the loop is a 400.
    back = clinic_system.client.patch(
        url,
        json.dumps([{"op": "replace", "path": "/status", "value": "requested"}]),
        content_type="application/json-patch+json",
    )
    assert back.status_code == 409
    for bad, field in [("on-hold", "status"), ("nonsense", "status")]:
        r = clinic_system.client.patch(
            url,
            json.dumps([{"op": "replace", "path": "/status", "value": bad}]),
            content_type="application/json-patch+json",
        )
        assert r.status_code == 400 and field in r.json(), r.content
    referral.refresh_from_db()
    assert referral.status == "appointment"
    # Each successful update answered with the Task: two disclosures; the refused ones sent nothing.
    assert AuditEntry.objects.filter(action="disclosure.fhir").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resourceType": "Patient", "status": "accepted", "intent": "order"}, "resourceType"),
        ({"resourceType": "Task", "intent": "order"}, "status"),
        ({"resourceType": "Task", "status": "accepted", "intent": "order", "bogus": 1}, "bogus"),
        ({"resourceType": "Task", "id": "999", "status": "accepted", "intent": "order"}, "id"),
        ([1], "resourceType"),
    ],
)
def test_a_malformed_task_is_a_400_naming_the_field(clinic_system, referral, body, field):
    r = clinic_system.client.put(f"/fhir/Task/{referral.pk}", json.dumps(body), content_type="application/fhir+json")
    assert r.status_code == 400, r.content
    assert field in r.json(), r.json()
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_a_partner_reaches_only_referrals_made_to_it(ada, referral, new_call, dana, team_b, bo):
    other = Partner.objects.create(name="Other Clinic", services="x")
    _, credentials = services.partner_create(name="Other EHR", by=ada, directory_partner=other)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {credentials.token}")
    assert client.get(f"/fhir/Task/{referral.pk}").status_code == 403
    assert client.get(f"/fhir/ServiceRequest/{referral.pk}").status_code == 403
    assert not AuditEntry.objects.filter(action="disclosure.fhir").exists()


@pytest.mark.parametrize("persona", ["dana", "cam", "sue", "rita", "oli", "nora"])
def test_staff_use_the_referral_pages_not_the_fhir_api(client, persona, request, referral):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/fhir/Task/{referral.pk}").status_code == 403


def test_a_partner_fhir_server_gets_a_transaction_bundle_on_each_change(
    ada, clinic_system, receiver, referral, bo, django_capture_on_commit_callbacks
):
    from programs.community_responders.services import referral_set_status

    services.endpoint_save(
        partner=clinic_system, url=receiver.url, events=["referral.status_changed"], payload_format="fhir", by=ada
    )
    receiver.start()
    with django_capture_on_commit_callbacks(execute=True):
        referral_set_status(referral=referral, status="declined", by=bo)
    [got] = receiver.received()
    assert got.headers["Content-Type"] == fhir.MEDIA_TYPE
    bundle = got.json()
    Bundle.model_validate(bundle)
    assert bundle["type"] == "transaction"
    assert [e["request"]["url"] for e in bundle["entry"]] == [f"ServiceRequest/{referral.pk}", f"Task/{referral.pk}"]
    assert bundle["entry"][1]["resource"]["status"] == "rejected"
    assert bundle["entry"][0]["resource"]["status"] == "revoked"


def test_a_retried_task_put_with_its_key_is_replayed_and_moves_the_referral_once(clinic_system, referral):
    body = json.dumps({"resourceType": "Task", "id": str(referral.pk), "status": "accepted", "intent": "order"})
    first, _ = send_twice(
        clinic_system.client, "PUT", f"/fhir/Task/{referral.pk}", body, content_type="application/fhir+json"
    )
    assert first.status_code == 200
    assert AuditEntry.objects.filter(action="community_responders.referral.status_changed").count() == 1
