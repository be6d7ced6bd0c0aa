"""The consult API and page (programs/le_consult/api.py, views.py): roles first, then the row, then the body."""

from __future__ import annotations

import pytest

from crisis.history.services import response_plan_save
from crisis.models import AuditEntry
from programs.le_consult import services
from programs.le_consult.models import Consult, ConsultStatus
from tests.conftest import CENTER
from tests.support.idempotency import send_twice

pytestmark = pytest.mark.django_db

BASE = "/programs/le_consult/api/consults/"


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize(
    "persona, status", [("oli", 200), ("cam", 200), ("sue", 200), ("dana", 403), ("ada", 403), ("nora", 403)]
)
def test_the_page_and_snapshot_by_role(client, request, persona, status, on_call):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/programs/le_consult/").status_code == status
    assert client.get("/programs/le_consult/api/snapshot/").status_code == status


def test_an_officer_requests_and_gets_the_row(client, oli, cam, on_call):
    client.force_login(oli)
    body = {"need": "team", "description": "Woman in traffic", "latitude": CENTER[0], "longitude": CENTER[1]}
    response = post(client, BASE, body | {"accuracy_m": 8})
    assert response.status_code == 201, response.content
    row = response.json()
    assert (row["status"], row["clinician"]["id"], row["need_label"]) == ("requested", cam.pk, "A team")


@pytest.mark.parametrize("persona", ["cam", "sue", "dana", "ada", "rita", "nora"])
def test_only_officers_may_request_and_the_body_is_not_even_read(client, request, persona, on_call):
    client.force_login(request.getfixturevalue(persona))
    response = post(client, BASE, {"need": 12345})
    assert response.status_code == 403 and not Consult.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"need": "advice"}, {"need": "advice", "latitude": 91, "longitude": 0}, {"need": ["advice"]}]
)
def test_bad_requests_are_a_400_with_a_message(client, oli, on_call, body):
    client.force_login(oli)
    response = post(client, BASE, body)
    assert response.status_code == 400 and response.json()
    assert not Consult.objects.exists() and not AuditEntry.objects.exists()


def test_the_whole_thread_over_the_api(client, oli, cam, request_consult):
    consult = request_consult()
    client.force_login(cam)
    assert post(client, f"{BASE}{consult.pk}/accept/", {}).json()["assigned_to"]["id"] == cam.pk
    assert post(client, f"{BASE}{consult.pk}/messages/", {"text": "Is he armed?"}).status_code == 201
    client.force_login(oli)
    row = post(client, f"{BASE}{consult.pk}/messages/", {"text": "No weapon seen."}).json()
    assert [m["text"] for m in row["messages"]] == ["Is he armed?", "No weapon seen."]
    client.force_login(cam)
    row = post(client, f"{BASE}{consult.pk}/close/", {"outcome": "resolved_on_scene"}).json()
    assert row["status"] == "closed"


def test_a_stranger_to_the_consult_gets_a_403_before_any_body_check(client, request_consult, cam, kit):
    consult = request_consult()
    client.force_login(kit)  # a clinician, but the backup before escalation
    assert post(client, f"{BASE}{consult.pk}/accept/", {}).status_code == 403
    assert post(client, f"{BASE}{consult.pk}/messages/", {"text": ""}).status_code == 403
    assert post(client, f"{BASE}{consult.pk}/close/", {"outcome": "nope"}).status_code == 403
    assert post(client, f"{BASE}{consult.pk}/person/", {"person": "x"}).status_code == 403
    assert Consult.objects.get(pk=consult.pk).status == ConsultStatus.REQUESTED


def test_an_empty_message_is_a_400_for_someone_who_may_write(client, request_consult, oli):
    consult = request_consult()
    client.force_login(oli)
    response = post(client, f"{BASE}{consult.pk}/messages/", {"text": "  "})
    assert response.status_code == 400 and "text" in response.json()


def test_a_lost_race_or_a_wrong_state_is_a_409(client, request_consult, cam, sue):
    consult = request_consult()
    client.force_login(cam)
    post(client, f"{BASE}{consult.pk}/accept/", {})
    client.force_login(sue)
    assert post(client, f"{BASE}{consult.pk}/accept/", {}).status_code == 409


def test_linking_the_person_shares_the_officer_view_only_if_the_plan_allows(client, request_consult, cam, person):
    consult = request_consult()
    client.force_login(cam)
    post(client, f"{BASE}{consult.pk}/accept/", {})
    plan = response_plan_save(
        person=person, by=cam, triggers="Sirens", what_helps="Water", who_to_call="Ana", officer_view=False
    )
    row = post(client, f"{BASE}{consult.pk}/person/", {"person": person.pk}).json()
    assert row["person"]["id"] == person.pk and row["officer_plan"] is None
    response_plan_save(
        person=person, by=cam, triggers=plan.triggers, what_helps="Water", who_to_call="Ana", officer_view=True
    )
    row = post(client, f"{BASE}{consult.pk}/person/", {"person": person.pk}).json()
    assert row["officer_plan"] == {"triggers": "Sirens", "what_helps": "Water", "who_to_call": "Ana"}
    assert post(client, f"{BASE}{consult.pk}/person/", {"person": 2**40}).status_code == 400
    assert post(client, f"{BASE}{consult.pk}/person/", {"person": 999999}).status_code == 404


def test_the_snapshot_shows_each_user_their_own_consults(client, request_consult, oli, cam, kit, sue):
    consult = request_consult()
    for user, expected in ((oli, [consult.pk]), (cam, [consult.pk]), (kit, []), (sue, [consult.pk])):
        client.force_login(user)
        data = client.get("/programs/le_consult/api/snapshot/").json()
        assert [c["id"] for c in data["consults"]] == expected, user
        assert data["epoch"] and isinstance(data["seq"], dict)


def test_each_snapshot_is_one_audit_row_with_the_consults_shown(client, request_consult, cam, kit):
    consult = request_consult()
    for user, shown in ((cam, [consult.pk]), (kit, [])):
        client.force_login(user)
        client.get("/programs/le_consult/api/snapshot/")
        rows = AuditEntry.objects.filter(action="le_consult.consults.viewed", actor=user)
        assert [r.detail["consults"] for r in rows] == [shown], user


def test_the_snapshot_does_not_grow_queries_with_consults(
    client, request_consult, cam, oli, django_assert_max_num_queries
):
    for _ in range(5):
        services.consult_message(consult=request_consult(), by=oli, text="hello")
    client.force_login(cam)
    with django_assert_max_num_queries(12):
        data = client.get("/programs/le_consult/api/snapshot/").json()
    assert len(data["consults"]) == 5


def test_a_retried_message_with_its_key_is_posted_once(client, request_consult, cam):
    consult = request_consult()
    client.force_login(cam)
    post(client, f"{BASE}{consult.pk}/accept/", {})
    first, _ = send_twice(client, "POST", f"{BASE}{consult.pk}/messages/", {"text": "Is he armed?"})
    assert first.status_code == 201
    assert [m["text"] for m in first.json()["messages"]] == ["Is he armed?"]
    assert consult.messages.count() == 1
