"""The follow-up API: the same list and write as the page, in the OpenAPI schema."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from crisis.models import AuditEntry
from programs.mobile_crisis.models import FollowUp
from tests.support.idempotency import send_twice

pytestmark = pytest.mark.django_db

LIST = "/programs/mobile_crisis/api/follow-ups/"


def _record(f):
    return f"{LIST}{f.pk}/record/"


def test_the_list_is_the_team_s_own_and_audited(client, rita, follow_up_a, follow_up_b):
    client.force_login(rita)
    body = client.get(LIST).json()
    assert [r["id"] for r in body["results"]] == [follow_up_a.pk]
    row = body["results"][0]
    assert row["person"] == "Marcus Hill" and row["callback_number"] == "312-555-0199"
    assert row["overdue"] is False and row["due_clock"].startswith("due in")
    assert AuditEntry.objects.get(action="mobile_crisis.follow_ups.viewed").detail["follow_ups"] == [follow_up_a.pk]


def test_a_supervisor_lists_every_team(client, sue, follow_up_a, follow_up_b):
    client.force_login(sue)
    assert {r["id"] for r in client.get(LIST).json()["results"]} == {follow_up_a.pk, follow_up_b.pk}


def test_recording_through_the_api(client, rita, follow_up_a):
    client.force_login(rita)
    body = {"reached": True, "method": "phone", "note": "Safe at home", "next_step": "None needed"}
    response = client.post(_record(follow_up_a), body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["completed_at"] and response.json()["next_step"] == "None needed"
    again = client.post(_record(follow_up_a), body, content_type="application/json")
    assert again.status_code == 409


@pytest.mark.parametrize(
    "body", [{}, {"reached": "perhaps"}, {"reached": True, "method": "fax"}, {"reached": True, "note": "\x00"}]
)
def test_bad_bodies_are_a_400_and_save_nothing(client, rita, follow_up_a, body):
    client.force_login(rita)
    response = client.post(_record(follow_up_a), body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert FollowUp.objects.get(pk=follow_up_a.pk).completed_at is None


@pytest.mark.parametrize("who", ["dana", "cam", "oli", "nora", "bo"])
def test_others_are_refused_before_the_body_is_read(request, client, follow_up_a, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(_record(follow_up_a), "[1,", content_type="application/json").status_code == 403
    if who != "bo":
        assert client.get(LIST).status_code == 403


def test_in_the_openapi_schema():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "get" in paths[LIST]
    assert "post" in paths["/programs/mobile_crisis/api/follow-ups/{id}/record/"]


def test_a_retried_record_with_its_key_replays_the_first_answer_instead_of_a_409(client, rita, follow_up_a):
    client.force_login(rita)
    body = {"reached": True, "method": "phone", "note": "Safe at home", "next_step": "None needed"}
    first, _ = send_twice(client, "POST", _record(follow_up_a), body)
    assert first.status_code == 200
    assert AuditEntry.objects.filter(action="mobile_crisis.follow_up.recorded").count() == 1
