"""The by-name list (selectors), recording a contact (services, page, API)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.errors import InvalidInput
from crisis.models import AuditEntry, Person
from programs.community_responders.models import Partner
from programs.homeless_outreach import selectors, services
from programs.homeless_outreach.living import LivingSituation
from programs.homeless_outreach.models import OutreachContact, SharingConsent

pytestmark = pytest.mark.django_db


@pytest.fixture
def list_world(team_a, rita):
    ana = Person.objects.create(first_name="Ana", last_name="Ruiz", experiencing_homelessness=True)
    ben = Person.objects.create(first_name="Ben", last_name="Cole")
    Person.objects.create(first_name="Housed", last_name="Person")  # never on the list
    # Ben agreed to share with the housing agency: the referral below may be sent.
    SharingConsent.objects.create(
        person=ben,
        partner=Partner.objects.create(name="Lakeside Housing", services="Housing"),
        expires_at=timezone.now() + timedelta(days=90),
    )
    old = services.outreach_contact_record(
        person=ben,
        team=team_a,
        by=rita,
        living_situation=LivingSituation.PLACE_NOT_MEANT,
        housing_partner="Lakeside Housing",
        housing_referral_status="sent",
    )
    OutreachContact.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=3))
    services.outreach_contact_record(
        person=ben, team=team_a, by=rita, living_situation=LivingSituation.EMERGENCY_SHELTER
    )
    return ana, ben


def test_the_list_shows_latest_contact_situation_and_referral(list_world, sue, django_assert_max_num_queries):
    ana, ben = list_world
    with django_assert_max_num_queries(3):
        rows = selectors.by_name_list(by=sue)
    assert [r.person_id for r in rows] == [ana.pk, ben.pk]  # never contacted first
    assert rows[0].last_contact_at is None and rows[0].living_label == ""
    b = rows[1]
    assert b.living_situation == LivingSituation.EMERGENCY_SHELTER  # the latest contact's
    assert (b.housing_partner, b.referral_label) == ("Lakeside Housing", "Referred, waiting")
    assert b.last_team == "Team A"
    entry = AuditEntry.objects.get(action="homeless_outreach.by_name_list.viewed")
    assert entry.actor == sue and entry.detail["person_ids"] == [ana.pk, ben.pk]


def test_merged_people_leave_the_list(list_world, sue):
    from crisis.people import person_merge

    ana, ben = list_world
    person_merge(keep=ana, merge=ben, by=sue, reason="same")
    rows = selectors.by_name_list(by=sue)
    assert [r.person_id for r in rows] == [ana.pk]
    assert rows[0].housing_partner == "Lakeside Housing"  # ben's contacts moved to ana


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"living_situation": 12345}, "living_situation"),
        ({"housing_referral_status": "maybe", "housing_partner": "X"}, "housing_referral_status"),
        ({"housing_referral_status": "sent"}, "housing_partner"),
    ],
)
def test_bad_contacts_are_refused(team_a, rita, person, fields, field):
    with pytest.raises(InvalidInput) as exc:
        services.outreach_contact_record(person=person, team=team_a, by=rita, **fields)
    assert exc.value.field == field
    assert not OutreachContact.objects.exists()


def test_a_responder_records_a_contact_from_the_phone_page(client, rita, team_a, person):
    client.force_login(rita)
    url = f"/programs/homeless_outreach/people/{person.pk}/contact/"
    assert client.get(url).status_code == 200
    r = client.post(
        url,
        {"team": team_a.pk, "living_situation": "116", "outcome": "shelter", "housing_partner": "", "note": "cold"},
    )
    assert r.status_code == 302
    c = OutreachContact.objects.get()
    assert (c.person, c.team, c.living_situation, c.outcome) == (person, team_a, 116, "shelter")
    bad = client.post(url, {"team": team_a.pk, "outcome": "shelter", "housing_referral_status": "sent"})
    assert bad.status_code == 400 and b"Name the housing partner" in bad.content


def test_a_responder_cannot_record_for_another_team(client, rita, team_b, person):
    client.force_login(rita)
    r = client.post(
        f"/programs/homeless_outreach/people/{person.pk}/contact/", {"team": team_b.pk, "outcome": "engaged"}
    )
    assert r.status_code == 400  # team B is not among rita's choices
    assert not OutreachContact.objects.exists()


def test_the_api_lists_and_records(client, dana, team_a, list_world):
    ana, ben = list_world
    client.force_login(dana)
    rows = client.get("/programs/homeless_outreach/api/by-name-list/").json()
    assert [r["person"] for r in rows] == [ana.pk, ben.pk]
    assert rows[1]["living_situation_label"].startswith("Emergency shelter")
    r = client.post(
        "/programs/homeless_outreach/api/contacts/",
        {"person": ana.pk, "team": team_a.pk, "living_situation": 116},
        "application/json",
    )
    assert r.status_code == 201
    assert (
        client.post("/programs/homeless_outreach/api/contacts/", {"person": ana.pk}, "application/json").status_code
        == 400
    )


def test_the_list_is_refused_to_an_officer(client, oli):
    client.force_login(oli)
    assert client.get("/programs/homeless_outreach/").status_code == 403
    assert client.get("/programs/homeless_outreach/api/by-name-list/").status_code == 403
