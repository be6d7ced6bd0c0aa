"""The referrals page: open referrals with a status form each, and a new referral; errors are form errors."""

from __future__ import annotations

import pytest

from programs.community_responders import services
from programs.community_responders.models import Referral

pytestmark = pytest.mark.django_db

URL = "/programs/community_responders/referrals/"


def test_a_responder_refers_and_moves_it_on_the_page(client, rita, team_a_call, partner):
    client.force_login(rita)
    response = client.post(URL, {"new-call": team_a_call.pk, "new-partner": partner.pk, "new-service": "Intake"})
    assert response.status_code == 302, response.content.decode()[:2000]
    referral = Referral.objects.get()
    html = client.get(URL).content.decode()
    assert f'id="referral-{referral.pk}"' in html and "Northside Clinic" in html
    p = f"r{referral.pk}"
    moved = client.post(f"{URL}{referral.pk}/status/", {f"{p}-status": "accepted", f"{p}-note": "Called back"})
    assert moved.status_code == 302
    assert Referral.objects.get().status == "accepted"


def test_a_status_off_the_table_is_a_form_error(client, rita, dana, team_a_call, partner):
    referral = services.referral_create(call=team_a_call, by=dana, partner=partner, service="Intake")
    client.force_login(rita)
    response = client.post(f"{URL}{referral.pk}/status/", {f"r{referral.pk}-status": "attended"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Referral.objects.get().status == "sent"


def test_an_unknown_call_is_a_form_error(client, rita, partner):
    client.force_login(rita)
    response = client.post(URL, {"new-call": 999999, "new-partner": partner.pk, "new-service": "Intake"})
    assert response.status_code == 400 and "No call with this number." in response.content.decode()


@pytest.mark.parametrize("who", ["oli", "nora"])
def test_other_roles_are_refused(request, client, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"new-service": "x"}).status_code == 403
