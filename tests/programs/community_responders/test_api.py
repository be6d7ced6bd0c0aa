"""The referral API: the directory, open referrals (audited), a new referral, the status loop (409 off the table)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from crisis.models import AuditEntry
from programs.community_responders import services
from programs.community_responders.models import Referral
from tests.support.idempotency import send_twice

pytestmark = pytest.mark.django_db

BASE = "/programs/community_responders/api"


def test_the_partner_directory(client, rita, partner):
    client.force_login(rita)
    rows = client.get(f"{BASE}/partners/").json()["results"]
    assert rows == [
        {
            "id": partner.pk,
            "name": "Northside Clinic",
            "services": "Outpatient psychiatry, medication management",
            "hours": "Mon-Fri 9-17",
            "phone": "312-555-0150",
            "address": "4000 N Broadway",
        }
    ]


def test_a_responder_refers_and_follows_the_loop(client, rita, team_a_call, partner):
    client.force_login(rita)
    created = client.post(
        f"{BASE}/referrals/",
        {"call": team_a_call.pk, "partner": partner.pk, "service": "Intake"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["fhir_status"], body["owner"], body["next_statuses"]) == (
        "sent",
        "requested",
        "rita",
        ["accepted", "declined", "cancelled"],
    )
    url = f"{BASE}/referrals/{body['id']}/status/"
    moved = client.post(url, {"status": "accepted"}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["fhir_status"] == "accepted"
    refused = client.post(url, {"status": "attended"}, content_type="application/json")
    assert refused.status_code == 409 and "cannot become attended" in refused.json()["detail"]
    assert Referral.objects.get(pk=body["id"]).status == "accepted"

    listed = client.get(f"{BASE}/referrals/").json()["results"]
    assert [r["id"] for r in listed] == [body["id"]]
    assert AuditEntry.objects.filter(action="community_responders.referrals.viewed", actor=rita).exists()


def test_another_team_s_responder_cannot_see_or_move_it(client, bo, dana, team_a_call, partner):
    referral = services.referral_create(call=team_a_call, by=dana, partner=partner, service="Intake")
    client.force_login(bo)
    assert client.get(f"{BASE}/referrals/").json()["results"] == []
    url = f"{BASE}/referrals/{referral.pk}/status/"
    assert client.post(url, {"status": "accepted"}, content_type="application/json").status_code == 403
    body = {"call": team_a_call.pk, "partner": partner.pk, "service": "x"}
    assert client.post(f"{BASE}/referrals/", body, content_type="application/json").status_code == 403
    assert Referral.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"call": "x", "service": "Intake"},
        {"call": 1, "partner": 2**70, "service": "Intake"},
        {"call": 1, "service": "\x00"},
        {"call": 1, "service": "Intake", "due_at": "yesterday"},
    ],
)
def test_bad_bodies_are_a_400(client, dana, team_a_call, body):
    client.force_login(dana)
    response = client.post(f"{BASE}/referrals/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert not Referral.objects.exists()


@pytest.mark.parametrize("who", ["oli", "nora"])
def test_roles_without_referrals_are_refused_before_the_body(request, client, dana, team_a_call, partner, who):
    referral = services.referral_create(call=team_a_call, by=dana, partner=partner, service="Intake")
    client.force_login(request.getfixturevalue(who))
    for method, url in [
        ("get", f"{BASE}/partners/"),
        ("get", f"{BASE}/referrals/"),
        ("post", f"{BASE}/referrals/"),
        ("post", f"{BASE}/referrals/{referral.pk}/status/"),
    ]:
        response = client.generic(method.upper(), url, "[1,", content_type="application/json")
        assert response.status_code == 403, url


def test_in_the_openapi_schema():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert {"get", "post"} <= set(paths[f"{BASE}/referrals/"])
    assert "post" in paths[f"{BASE}/referrals/{{id}}/status/"]
    assert "get" in paths[f"{BASE}/partners/"]


def test_a_retried_referral_with_its_key_makes_one_referral(client, rita, team_a_call, partner):
    client.force_login(rita)
    body = {"call": team_a_call.pk, "partner": partner.pk, "service": "Intake"}
    first, _ = send_twice(client, "POST", f"{BASE}/referrals/", body)
    assert first.status_code == 201 and Referral.objects.count() == 1
