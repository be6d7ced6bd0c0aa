"""The diversion console's pages: the queue, one call's page (audited), and its forms."""

from __future__ import annotations

import pytest

from crisis.models import AuditEntry
from dispatch.models import Call, Status
from programs.diversion.models import Diversion

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona, status", [("cam", 200), ("dana", 403), ("sue", 403), ("oli", 403), ("rita", 403)])
def test_the_console_is_for_diversion_clinicians(client, transfer, persona, status, request):
    d = transfer()
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/programs/diversion/").status_code == status
    assert client.get(f"/programs/diversion/{d.pk}/").status_code == status


def test_a_call_from_take_to_resolved_by_phone_with_a_referral(client, cam, transfer, partner):
    d = transfer()
    client.force_login(cam)
    html = client.get(f"/programs/diversion/{d.pk}/").content.decode()
    assert "Take this call" in html and "312-555-0101" in html
    assert AuditEntry.objects.filter(action="diversion.diversion.viewed", object_id=str(d.pk)).exists()
    assert client.post(f"/programs/diversion/{d.pk}/take/").status_code == 302
    # Resolving before documenting: the page again, with the reason.
    response = client.post(f"/programs/diversion/{d.pk}/end/", {"action": "resolve"})
    assert response.status_code == 400 and "Write the counselling note" in response.content.decode()
    response = client.post(
        f"/programs/diversion/{d.pk}/document/",
        {"counselling_note": "Grounding, breathing.", "needs": ["housing", "food"], "safety_plan": "Call sister"},
    )
    assert response.status_code == 302
    response = client.post(f"/programs/diversion/{d.pk}/refer/", {"partner": partner.pk, "service": "Intake"})
    assert response.status_code == 302
    response = client.post(f"/programs/diversion/{d.pk}/end/", {"action": "resolve", "screen_si_thoughts": "on"})
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == "resolved" and d.needs == ["housing", "food"]
    assert Call.objects.get().status == Status.CLOSED  # resolved by phone closes the call
    page = client.get(f"/programs/diversion/{d.pk}/").content.decode()
    assert "Northside Clinic: Intake" in page and "Resolved by phone" in page


def test_a_resolve_the_screen_refuses_is_a_409_with_the_reason(client, cam, transfer):
    d = transfer()
    client.force_login(cam)
    client.post(f"/programs/diversion/{d.pk}/take/")
    client.post(f"/programs/diversion/{d.pk}/document/", {"counselling_note": "x"})
    response = client.post(f"/programs/diversion/{d.pk}/end/", {"action": "resolve", "screen_si_behavior": "on"})
    assert response.status_code == 409 and "send a team" in response.content.decode()
    assert Diversion.objects.get().status == "in_progress"


def test_bad_form_input_is_a_400_never_a_500(client, cam, transfer):
    d = transfer()
    client.force_login(cam)
    client.post(f"/programs/diversion/{d.pk}/take/")
    assert client.post(f"/programs/diversion/{d.pk}/refer/", {"partner": "99999"}).status_code == 400
    assert client.post(f"/programs/diversion/{d.pk}/document/", {"needs": ["pizza"]}).status_code == 400
    assert client.post(f"/programs/diversion/{d.pk}/document/", {"counselling_note": "a\x00b"}).status_code == 400
    assert client.post("/programs/diversion/99999/take/").status_code == 404
