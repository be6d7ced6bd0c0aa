"""integrations/admin.py: administrators register partners and endpoints, read the log, replay; through services."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from crisis.models import AuditEntry
from integrations.models import Delivery, PartnerSystem, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_adding_a_partner_shows_its_token_and_secret_once(client, ada):
    client.force_login(ada)
    response = client.post(
        "/admin/integrations/partnersystem/add/",
        {"name": "County 911 CAD", "purpose": "911 hand-over", "active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    partner = PartnerSystem.objects.get()
    shown = [str(m) for m in get_messages(response.wsgi_request)] + [response.content.decode()]
    assert any(partner.secret in text for text in shown)
    assert partner.user.groups.filter(name="integration").exists()
    # Never again: the change page does not show the secret.
    page = client.get(f"/admin/integrations/partnersystem/{partner.pk}/change/")
    assert page.status_code == 200 and partner.secret not in page.content.decode()
    assert AuditEntry.objects.filter(action="integrations.partner.created").exists()


def test_an_endpoint_form_refuses_referrals_on_an_eido_endpoint(client, ada, cad):
    client.force_login(ada)
    data = {"partner": cad.pk, "url": "https://cad.example/hook", "payload_format": "eido", "active": "on"}
    bad = client.post("/admin/integrations/webhookendpoint/add/", data | {"events": ["referral.status_changed"]})
    assert bad.status_code == 200 and "follows calls only" in bad.content.decode()
    assert not WebhookEndpoint.objects.exists()
    good = client.post("/admin/integrations/webhookendpoint/add/", data | {"events": ["call.status_changed"]})
    assert good.status_code == 302
    assert WebhookEndpoint.objects.get().events == ["call.status_changed"]
    assert AuditEntry.objects.filter(action="integrations.endpoint.saved").count() == 1


def test_the_replay_action(client, ada, cad, receiver, new_call, django_capture_on_commit_callbacks):
    from integrations import services

    services.endpoint_save(partner=cad, url=receiver.url, events=["call.created"], by=ada)
    receiver.start()
    with django_capture_on_commit_callbacks(execute=True):
        new_call()
    client.force_login(ada)
    assert client.get("/admin/integrations/delivery/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/integrations/delivery/",
            {"action": "replay", "_selected_action": [Delivery.objects.get().pk]},
        )
    assert Delivery.objects.filter(replay_of__isnull=False, status="delivered").count() == 1
    assert len(receiver.received()) == 2


@pytest.mark.parametrize("persona", ["dana", "sue", "cam"])
def test_other_staff_do_not_see_the_integrations_admin(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    for url in ("/admin/integrations/partnersystem/", "/admin/integrations/delivery/"):
        assert client.get(url).status_code in (302, 403)
