"""integrations/eido.py and its API: a CAD's incident in as a call, any call out as EIDO, both validated."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from crisis.models import AuditEntry
from dispatch.models import Call, CallEvent
from integrations import eido
from integrations.models import CadIncident
from tests.support.idempotency import send_twice

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eido"
URL = "/api/integrations/eido/incidents/"


def incident() -> dict:
    return json.loads((FIXTURES / "incident-behavioral.json").read_text())


def test_the_vendored_schema_is_a_valid_json_schema_with_its_version_and_source():
    schema = json.loads((FIXTURES / "eido-1.0.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "NENA-STA-021" in schema["x-version"] and schema["x-source"]
    jsonschema.validate(incident(), schema)


def test_a_cad_incident_becomes_a_call_once(cad_client, cad):
    response = cad_client.post(URL, incident(), format="json")
    assert response.status_code == 201, response.content
    call = Call.objects.get(pk=response.json()["call_id"])
    assert (call.source, call.call_type, call.status) == ("911", "mental_health", "received")
    assert call.nature == "Man shouting on the platform, says nobody can help him"
    assert call.address == "Clark/Lake CTA station, 100 W Lake St"
    assert (call.latitude, call.longitude) == (41.8857, -87.6309)
    assert (call.caller_name, call.callback_number) == ("Station attendant", "+13125550142")
    assert call.created_by == cad.user
    notes = [e.detail["text"] for e in CallEvent.objects.filter(call=call, kind="call.note").order_by("id")]
    assert notes == ["No weapon seen. Pacing near the edge of the platform.", "Trains held on the inbound track."]
    assert CadIncident.objects.get(call=call).agencies[1] == {
        "roles": ["Dispatch"],
        "types": ["police"],
        "name": "Transit Police",
    }
    # The same incident again (a CAD retrying): the same call, nothing new.
    again = cad_client.post(URL, incident(), format="json", HTTP_CONTENT_TYPE=eido.MEDIA_TYPE)
    assert again.status_code == 200
    assert again.json() == {
        "call_id": call.pk,
        "created": False,
        "incident_id": incident()["incidentComponent"]["incidentTrackingIdentifier"],
    }
    assert Call.objects.count() == 1


def test_the_eido_media_type_is_accepted(cad_client):
    response = cad_client.generic("POST", URL, json.dumps(incident()), content_type=eido.MEDIA_TYPE)
    assert response.status_code == 201, response.content


def _without(doc: dict, path: list) -> dict:
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return doc


def _with(doc: dict, path: list, value) -> dict:
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (
            _without(incident(), ["incidentComponent", "incidentTrackingIdentifier"]),
            "incidentComponent.incidentTrackingIdentifier",
        ),
        (_without(incident(), ["incidentComponent"]), "incidentComponent"),
        (_with(incident(), ["lastUpdateTimeStamp"], "yesterday"), "lastUpdateTimeStamp"),
        (
            _with(incident(), ["personComponent", 0, "personIncidentRoleRegistryText"], []),
            "personComponent[0].personIncidentRoleRegistryText",
        ),
        (_with(incident(), ["notesComponent", 1, "notesActionComments"], 7), "notesComponent[1].notesActionComments"),
        (
            _with(incident(), ["callbackComponent", 0, "callBackInformationUri"], ["mailto:x@example.org"]),
            "callbackComponent[0].callBackInformationUri[0]",
        ),
        (_without(incident(), ["locationComponent", 0, "locationDescriptionText"]), "locationComponent"),
        (
            _with(incident(), ["locationComponent", 0, "locationByValue"], "<presence"),
            "locationComponent[0].locationByValue",
        ),
        (
            _with(incident(), ["locationComponent", 0, "locationByValue"], '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'),
            "locationComponent[0].locationByValue",
        ),
        (
            _with(incident(), ["incidentComponent", "locationReference"], [{"$ref": "nowhere"}]),
            "incident.locationReference[0]",
        ),
        (
            _with(incident(), ["incidentComponent", "incidentTypeInternalText"], "x" * 201),
            "incidentComponent.incidentTypeInternalText",
        ),
        ([1, 2], "document"),
    ],
)
def test_a_malformed_document_is_a_400_naming_the_field_and_nothing_is_saved(cad_client, document, field):
    response = cad_client.post(URL, document, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert field in body["detail"]
    assert not Call.objects.exists()
    assert not CadIncident.objects.exists()


def test_round_trip_eido_in_call_eido_out_keeps_every_field_kept(cad_client):
    sent = incident()
    call_id = cad_client.post(URL, sent, format="json").json()["call_id"]
    response = cad_client.get(f"/api/integrations/eido/calls/{call_id}/", HTTP_ACCEPT=eido.MEDIA_TYPE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(eido.MEDIA_TYPE)
    out = json.loads(response.content)
    jsonschema.validate(out, json.loads((FIXTURES / "eido-1.0.schema.json").read_text()))
    assert eido.kept(out) == eido.kept(sent)
    # Every part of what is kept is there, not just equally empty.
    facts = eido.kept(out)
    assert facts["location"]["point"] == [41.8857, -87.6309]
    assert facts["caller"] == {"roles": ["Caller", "Witness"], "name": "Station attendant", "callback": "+13125550142"}
    assert len(facts["notes"]) == 2 and len(facts["agencies"]) == 2
    assert out["incidentComponent"]["incidentStatusInternalText"] == ["received"]


def test_any_call_exports_as_valid_eido_and_each_export_is_a_disclosure(client, ada, new_call, person):
    call = new_call(person=person, latitude=41.9, longitude=-87.7, narrative="Sister worried")
    client.force_login(ada)
    response = client.get(f"/api/integrations/eido/calls/{call.pk}/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    doc = response.json()
    eido.validate(doc)
    assert doc["incidentComponent"]["incidentTypeInternalText"] == call.nature
    assert doc["notesComponent"][0]["notesActionComments"] == "Sister worried"
    row = AuditEntry.objects.get(action="disclosure.eido")
    assert (row.object_type, row.object_id) == ("crisis.person", str(person.pk))
    assert row.detail["recipient"] == "user:ada"
    assert row.detail["records"] == [f"dispatch.call:{call.pk}"]


def test_a_partner_export_is_accounted_to_the_partner(cad_client, new_call):
    call = new_call()
    assert cad_client.get(f"/api/integrations/eido/calls/{call.pk}/").status_code == 200
    row = AuditEntry.objects.get(action="disclosure.eido")
    assert (row.object_type, row.detail["recipient"]) == ("dispatch.call", "County 911 CAD")


@pytest.mark.parametrize("persona", ["dana", "cam", "sue", "rita", "oli", "nora"])
def test_only_partners_and_administrators_exchange_eido(client, persona, request, new_call):
    call = new_call()
    client.force_login(request.getfixturevalue(persona))
    assert client.post(URL, incident(), content_type="application/json").status_code == 403
    assert client.get(f"/api/integrations/eido/calls/{call.pk}/").status_code == 403


def test_a_deactivated_partner_token_is_refused(cad_client, cad, ada):
    from integrations import services

    services.partner_set_active(partner=cad, active=False, by=ada)
    assert cad_client.post(URL, incident(), format="json").status_code == 401


def test_a_cad_endpoint_gets_eido_updates_on_status_change(
    cad, ada, receiver, dana, new_call, django_capture_on_commit_callbacks
):
    from dispatch import services as dispatch
    from integrations import services

    services.endpoint_save(partner=cad, url=receiver.url, events=["call.status_changed"], payload_format="eido", by=ada)
    receiver.start()
    call = new_call()
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.call_triage(call=call, screen={"phone_engaged": True}, by=dana)
    [got] = receiver.received()
    assert got.headers["Content-Type"] == eido.MEDIA_TYPE
    doc = got.json()
    eido.validate(doc)
    assert doc["incidentComponent"]["incidentStatusInternalText"] == ["triaged"]


def test_a_retried_incident_with_its_key_is_the_first_answer_replayed(cad_client):
    first, _ = send_twice(cad_client, "POST", URL, json.dumps(incident()))
    assert first.status_code == 201 and Call.objects.count() == 1 and CadIncident.objects.count() == 1
