"""Crisis stabilization pages and API: the list, opening, contacts and the close; audited reads; 403 for others."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.models import AuditEntry
from programs.crisis_stabilization.models import Episode, EpisodeContact
from tests.support.idempotency import send_twice

pytestmark = pytest.mark.django_db
FMT = "%Y-%m-%dT%H:%M"


def test_list_and_open_on_the_page(client, cora, stab_team, person):
    client.force_login(cora)
    assert "No open episodes." in client.get("/programs/crisis_stabilization/").content.decode()
    data = {
        "new-person": person.pk,
        "new-team": stab_team.pk,
        "new-owner": cora.pk,
        "new-goals": "Stay at home, see the psychiatrist Friday",
        "new-planned_end_on": (timezone.localdate() + timedelta(days=10)).isoformat(),
        "new-due_at": (timezone.localtime() + timedelta(hours=20)).strftime(FMT),
    }
    response = client.post("/programs/crisis_stabilization/", data)
    episode = Episode.objects.get()
    assert response.status_code == 302 and response.url == f"/programs/crisis_stabilization/episodes/{episode.pk}/"
    html = client.get("/programs/crisis_stabilization/").content.decode()
    assert "Marcus Hill" in html and "Owner: you" in html
    assert AuditEntry.objects.filter(action="crisis_stabilization.episodes.viewed").count() == 2


def test_open_without_goals_is_a_form_error(client, cora, stab_team, person):
    client.force_login(cora)
    response = client.post("/programs/crisis_stabilization/", {"new-person": person.pk, "new-team": stab_team.pk})
    assert response.status_code == 400 and not Episode.objects.exists()


def test_contact_and_close_on_the_episode_page(client, dev, episode):
    client.force_login(dev)
    url = f"/programs/crisis_stabilization/episodes/{episode.pk}/"
    assert "Back home safely" in client.get(url).content.decode()
    assert AuditEntry.objects.filter(action="crisis_stabilization.episode.viewed").count() == 1
    due = (timezone.localtime() + timedelta(days=1)).strftime(FMT)
    ok = client.post(
        url + "contact/", {"contact-method": "visit", "contact-reached": "yes", "contact-next_due_at": due}
    )
    assert ok.status_code == 302 and EpisodeContact.objects.count() == 1
    past = (timezone.localtime() - timedelta(hours=1)).strftime(FMT)
    bad = client.post(
        url + "contact/", {"contact-method": "visit", "contact-reached": "yes", "contact-next_due_at": past}
    )
    assert bad.status_code == 400 and "in the future" in bad.content.decode()
    assert client.post(url + "close/", {}).status_code == 400
    assert client.post(url + "close/", {"close-outcome": "stabilized"}).status_code == 302
    episode.refresh_from_db()
    assert episode.outcome == "stabilized"
    assert client.post(url + "nope/", {}).status_code == 404


def test_other_teams_get_403(client, rita, episode):
    client.force_login(rita)
    assert client.get(f"/programs/crisis_stabilization/episodes/{episode.pk}/").status_code == 403
    assert client.get(f"/programs/crisis_stabilization/api/episodes/{episode.pk}/").status_code == 403


def test_api(client, cora, stab_team, person):
    client.force_login(cora)
    body = {
        "person": person.pk,
        "team": stab_team.pk,
        "owner": cora.pk,
        "goals": "g",
        "planned_end_on": (timezone.localdate() + timedelta(days=5)).isoformat(),
    }
    created = client.post("/programs/crisis_stabilization/api/episodes/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    again = client.post("/programs/crisis_stabilization/api/episodes/", body, content_type="application/json")
    assert again.status_code == 409
    contact = {"method": "phone", "next_due_at": (timezone.now() + timedelta(days=1)).isoformat()}
    url = f"/programs/crisis_stabilization/api/episodes/{pk}/"
    assert client.post(url + "contacts/", contact, content_type="application/json").status_code == 201
    assert [e["id"] for e in client.get("/programs/crisis_stabilization/api/episodes/").json()["results"]] == [pk]
    assert client.post(url + "close/", {"outcome": "jail"}, content_type="application/json").status_code == 200
    assert client.post(url + "close/", {"outcome": "jail"}, content_type="application/json").status_code == 409
    assert client.get(url).json()["episode"]["outcome"] == "jail"


def test_the_person_page_offers_an_episode_to_a_supervisor_and_the_form_opens_prefilled(client, sue, stab_team, person):
    client.force_login(sue)
    link = f"/programs/crisis_stabilization/?person={person.pk}#open-episode"
    assert link in client.get(f"/people/{person.pk}/").content.decode()
    form = client.get(f"/programs/crisis_stabilization/?person={person.pk}").content.decode()
    assert 'id="open-episode" open' in form and f'value="{person.pk}"' in form


def test_a_retried_episode_with_its_key_is_replayed_not_a_409(client, cora, stab_team, person):
    client.force_login(cora)
    body = {
        "person": person.pk,
        "team": stab_team.pk,
        "owner": cora.pk,
        "goals": "g",
        "planned_end_on": (timezone.localdate() + timedelta(days=5)).isoformat(),
    }
    first, _ = send_twice(client, "POST", "/programs/crisis_stabilization/api/episodes/", body)
    assert first.status_code == 201 and Episode.objects.count() == 1
