"""FACT over the API: the same services as the pages, 400/403/404/409 as the house rules say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.models import AuditEntry
from programs.fact.models import Enrollment
from tests.support.idempotency import send_twice

pytestmark = pytest.mark.django_db


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_enrol_and_read_the_record(client, fay, fact_team, person):
    client.force_login(fay)
    body = {
        "person": person.pk,
        "team": fact_team.pk,
        "serious_mental_illness": True,
        "justice_involvement": "pretrial",
    }
    created = _post(client, "/programs/fact/api/enrollments/", body)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert _post(client, "/programs/fact/api/enrollments/", body).status_code == 409
    record = client.get(f"/programs/fact/api/enrollments/{pk}/").json()
    assert [o["label"] for o in record["outcomes"]] == ["Arrests", "Days in jail", "Days in hospital", "Crisis calls"]
    assert AuditEntry.objects.filter(action="fact.client.viewed", object_id=str(pk)).exists()


def test_enrol_refuses_missing_eligibility_and_other_teams(client, fay, fact_team_2, fact_team, person):
    client.force_login(fay)
    no_smi = {
        "person": person.pk,
        "team": fact_team.pk,
        "serious_mental_illness": False,
        "justice_involvement": "parole",
    }
    response = _post(client, "/programs/fact/api/enrollments/", no_smi)
    assert response.status_code == 400 and "serious_mental_illness" in response.json()
    other = no_smi | {"team": fact_team_2.pk, "serious_mental_illness": True}
    assert _post(client, "/programs/fact/api/enrollments/", other).status_code == 404
    assert not Enrollment.objects.exists()


def test_writes_over_the_api(client, fay, enrolled):
    client.force_login(fay)
    base = f"/programs/fact/api/enrollments/{enrolled.pk}"
    assert _post(client, base + "/contacts/", {"method": "office"}).status_code == 201
    goal = _post(client, base + "/goals/", {"text": "Stable housing"}).json()
    assert _post(client, f"/programs/fact/api/goals/{goal['id']}/status/", {"status": "not_met"}).json()["status"] == (
        "not_met"
    )
    today = timezone.localdate().isoformat()
    assert _post(client, base + "/outcomes/", {"kind": "hospital", "on": today, "days": 5}).status_code == 201
    assert _post(client, base + "/plan/", {"crisis_plan": "Call sister first"}).json()["crisis_plan"] == (
        "Call sister first"
    )
    assert _post(client, base + "/discharge/", {"reason": "bogus"}).status_code == 400
    assert _post(client, base + "/discharge/", {"reason": "lost_contact"}).status_code == 200
    assert _post(client, base + "/discharge/", {"reason": "lost_contact"}).status_code == 409
    assert _post(client, base + "/contacts/", {"method": "office"}).status_code == 409


def test_caseload_api(client, sue, enrolled, fay_on_call):
    client.force_login(sue)
    (row,) = client.get("/programs/fact/api/caseload/").json()
    assert (row["clients_count"], row["staff"], row["target"], row["on_call"]["member_name"]) == (1, 2, 10, "Fay")


def test_on_call_api_supervisor_only_and_409_on_overlap(client, sue, fay, fact_team):
    start = timezone.now() + timedelta(hours=1)
    body = {"member": fay.pk, "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=8)).isoformat()}
    client.force_login(fay)
    assert _post(client, f"/programs/fact/api/teams/{fact_team.pk}/on-call/", body).status_code == 403
    client.force_login(sue)
    assert _post(client, f"/programs/fact/api/teams/{fact_team.pk}/on-call/", body).status_code == 201
    assert _post(client, f"/programs/fact/api/teams/{fact_team.pk}/on-call/", body).status_code == 409


@pytest.mark.parametrize("persona", ["dana", "oli", "nora", "rita"])
def test_others_get_403_or_404(client, persona, enrolled, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(f"/programs/fact/api/enrollments/{enrolled.pk}/")
    assert response.status_code == 403


def test_a_retried_enrolment_with_its_key_is_replayed_not_a_409(client, fay, fact_team, person):
    client.force_login(fay)
    body = {
        "person": person.pk,
        "team": fact_team.pk,
        "serious_mental_illness": True,
        "justice_involvement": "pretrial",
    }
    first, _ = send_twice(client, "POST", "/programs/fact/api/enrollments/", body)
    assert first.status_code == 201 and Enrollment.objects.count() == 1
