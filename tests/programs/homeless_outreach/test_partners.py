"""Partner agencies on the by-name list (programs/homeless_outreach): police homeless liaison lou and housing
navigator hana see a person named only while the person's consent to share with their agency is in force;
otherwise a pseudonymous row. Consents are recorded and revoked by outreach staff, audited; partners record their
own encounters (where, what was offered and accepted)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisis.errors import Conflict, InvalidInput
from crisis.models import AuditEntry, Person
from programs.homeless_outreach import selectors, services
from programs.homeless_outreach.models import OutreachContact, SharingScope

pytestmark = pytest.mark.django_db


@pytest.fixture
def dale(team_a, rita):
    """Dale sleeps in Union Park; team A met him there (the exact spot is the bench by the fieldhouse)."""
    dale = Person.objects.create(
        first_name="Dale", last_name="Simmons", experiencing_homelessness=True, date_of_birth="1971-05-02"
    )
    services.outreach_contact_record(
        person=dale,
        team=team_a,
        by=rita,
        place="encampment",
        area="Union Park",
        exact_location="Bench north of the fieldhouse",
        offered=["food", "shelter_bed"],
        accepted=["food"],
    )
    return dale


def agency(user):
    return user.partner_agency.partner


def consent(person, partner, by, *, minutes=60 * 24, scope=SharingScope.IDENTITY):
    return services.sharing_consent_record(
        person=person, partner=partner, by=by, scope=scope, expires_at=timezone.now() + timedelta(minutes=minutes)
    )


def row(user, person):
    (r,) = [r for r in selectors.by_name_list(by=user) if r.person_id == person.pk]
    return r


def test_without_consent_a_partner_sees_a_pseudonymous_row(dale, lou):
    r = row(lou, dale)
    assert (r.identified, r.name, r.date_of_birth, r.exact_location) == (False, "", None, "")
    assert (r.title, r.area, r.last_team) == (f"BNL-{dale.pk:05d}", "Union Park", "Team A")
    assert r.last_contact_at is not None


def test_staff_see_everyone_named(dale, rita):
    r = row(rita, dale)
    assert (r.identified, r.name, r.exact_location) == (True, "Dale Simmons", "Bench north of the fieldhouse")


def test_consent_names_the_person_to_that_agency_only_and_its_scope_decides_the_location(dale, lou, hana, rita):
    consent(dale, agency(hana), rita)
    assert (row(hana, dale).name, row(hana, dale).exact_location) == ("Dale Simmons", "")
    assert not row(lou, dale).identified  # another agency: no consent, no name
    consent(dale, agency(hana), rita, scope=SharingScope.IDENTITY_LOCATION)
    assert row(hana, dale).exact_location == "Bench north of the fieldhouse"


def test_a_consent_expiring_mid_way_hides_the_person_on_the_next_read(client, dale, hana, rita, monkeypatch):
    consent(dale, agency(hana), rita, minutes=30)
    client.force_login(hana)
    page = client.get("/programs/homeless_outreach/").content.decode()
    assert "Dale Simmons" in page and "1971" not in page.split("Dale Simmons")[0]
    later = timezone.now() + timedelta(minutes=31)
    monkeypatch.setattr(timezone, "now", lambda: later)
    page = client.get("/programs/homeless_outreach/").content.decode()
    assert "Dale Simmons" not in page and "2 May 1971" not in page
    assert f"BNL-{dale.pk:05d}" in page and "Union Park" in page
    api = client.get("/programs/homeless_outreach/api/by-name-list/").json()
    (mine,) = [r for r in api if r["person"] == dale.pk]
    assert (mine["name"], mine["date_of_birth"], mine["identified"]) == (None, None, False)
    # The read says what was shown named: nothing, after the expiry.
    entry = AuditEntry.objects.filter(action="homeless_outreach.by_name_list.viewed", actor=hana).order_by("pk").last()
    assert entry.detail["identified_ids"] == [] and dale.pk in entry.detail["person_ids"]


def test_a_revoked_consent_hides_the_person_and_is_audited(dale, hana, rita):
    given = consent(dale, agency(hana), rita)
    assert row(hana, dale).identified
    services.sharing_consent_revoke(consent=given, by=rita, reason="Asked us to stop")
    assert not row(hana, dale).identified
    entry = AuditEntry.objects.get(action="homeless_outreach.sharing_consent.revoked")
    assert (entry.actor, entry.detail["person"], entry.detail["reason"]) == (rita, dale.pk, "Asked us to stop")
    with pytest.raises(Conflict):
        services.sharing_consent_revoke(consent=given, by=rita)


def test_partners_never_keep_consents(dale, hana, lou):
    with pytest.raises(PermissionDenied):
        consent(dale, agency(hana), hana)
    given = None
    with pytest.raises(PermissionDenied):
        services.sharing_consent_revoke(consent=given or consent(dale, agency(hana), lou), by=lou)


@pytest.mark.parametrize(
    "minutes, field", [(-5, "expires_at"), (60 * 24 * 367, "expires_at")], ids=["in the past", "over a year"]
)
def test_a_consent_needs_a_sensible_expiry(dale, hana, rita, minutes, field):
    with pytest.raises(InvalidInput) as exc:
        consent(dale, agency(hana), rita, minutes=minutes)
    assert exc.value.field == field


def test_an_inactive_agency_takes_no_consent_and_its_users_lose_the_list(client, dale, hana, rita):
    partner = agency(hana)
    partner.active = False
    partner.save()
    with pytest.raises(InvalidInput):
        consent(dale, partner, rita)
    client.force_login(hana)
    assert client.get("/programs/homeless_outreach/").status_code == 403


def test_a_partner_records_an_encounter_for_its_agency(dale, lou):
    contact = services.outreach_contact_record(
        person=dale, by=lou, place="vehicle", area="Lower Wacker", offered=["shelter_bed", "transport"], accepted=[]
    )
    assert (contact.team, contact.partner, contact.recorded_by) == (None, agency(lou), lou)
    assert (contact.place, contact.offered, contact.accepted) == ("vehicle", ["shelter_bed", "transport"], [])
    r = row(lou, dale)
    assert (r.last_team, r.area) == ("Police Homeless Liaison Unit", "Lower Wacker")


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"offered": ["food"], "accepted": ["shelter_bed"]}, "accepted"),
        ({"offered": ["caviar"]}, "offered"),
        ({"place": "moon"}, "place"),
    ],
)
def test_an_encounter_accepts_only_what_was_offered(dale, lou, fields, field):
    with pytest.raises(InvalidInput) as exc:
        services.outreach_contact_record(person=dale, by=lou, **fields)
    assert exc.value.field == field
    assert not OutreachContact.objects.filter(partner__isnull=False).exists()


def test_a_partner_cannot_record_for_a_team(dale, lou, team_a):
    with pytest.raises(InvalidInput):
        services.outreach_contact_record(person=dale, by=lou, team=team_a)


def test_the_encounter_page_shows_a_partner_only_the_label(client, dale, lou):
    client.force_login(lou)
    page = client.get(f"/programs/homeless_outreach/people/{dale.pk}/contact/").content.decode()
    assert f"Encounter with BNL-{dale.pk:05d}" in page and "Dale" not in page
    assert 'name="team"' not in page
    response = client.post(
        f"/programs/homeless_outreach/people/{dale.pk}/contact/",
        {"place": "street", "area": "Loop", "offered": ["food", "hygiene"], "accepted": ["food"], "outcome": "engaged"},
    )
    assert response.status_code == 302
    assert OutreachContact.objects.get(partner=agency(lou)).accepted == ["food"]
    viewed = AuditEntry.objects.get(action="homeless_outreach.person.viewed", actor=lou)
    assert viewed.detail["identified"] is False


def test_staff_record_and_revoke_a_consent_on_the_page(client, dale, hana, rita):
    client.force_login(rita)
    url = f"/programs/homeless_outreach/people/{dale.pk}/consents/"
    response = client.post(
        url,
        {
            "partner": agency(hana).pk,
            "scope": "identity",
            "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    (given,) = dale.sharing_consents.all()
    assert given.in_force_at(timezone.now()) and given.recorded_by == rita
    page = client.get(url).content.decode()
    assert "In force until" in page and "Lakeside Housing" in page
    assert client.post(f"/programs/homeless_outreach/consents/{given.pk}/revoke/").status_code == 302
    given.refresh_from_db()
    assert given.revoked_by == rita
    bad = client.post(url, {"partner": agency(hana).pk, "scope": "identity", "expires_on": "2001-01-01"})
    assert bad.status_code == 400 and "must expire in the future" in bad.content.decode()


def test_the_consent_api(client, dale, hana, rita, lou):
    client.force_login(rita)
    body = {
        "person": dale.pk,
        "partner": agency(hana).pk,
        "scope": "identity_location",
        "expires_at": (timezone.now() + timedelta(days=10)).isoformat(),
    }
    created = client.post("/programs/homeless_outreach/api/consents/", body, content_type="application/json")
    assert created.status_code == 201
    pk = created.json()["id"]
    client.force_login(lou)
    assert client.post(f"/programs/homeless_outreach/api/consents/{pk}/revoke/").status_code == 403
    client.force_login(rita)
    revoked = client.post(f"/programs/homeless_outreach/api/consents/{pk}/revoke/", content_type="application/json")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    again = client.post(f"/programs/homeless_outreach/api/consents/{pk}/revoke/", content_type="application/json")
    assert again.status_code == 409


# --- a housing referral shares the person's data with the agency: only with their consent in force ------------------


def refer(person, by, team, agency_name):
    return services.outreach_contact_record(
        person=person, by=by, team=team, outcome="housing", housing_partner=agency_name, housing_referral_status="sent"
    )


def test_a_housing_referral_without_consent_is_refused_and_audited(dale, hana, rita, team_a):
    with pytest.raises(Conflict) as exc:
        refer(dale, rita, team_a, "Lakeside Housing")
    assert exc.value.field == "housing_partner" and "No consent to share with Lakeside Housing" in exc.value.message
    assert not OutreachContact.objects.filter(housing_referral_status="sent").exists()
    entry = AuditEntry.objects.get(action="homeless_outreach.housing_referral.refused")
    assert (entry.actor, entry.detail["person"], entry.detail["partner"], entry.detail["reason"]) == (
        rita,
        dale.pk,
        agency(hana).pk,
        "no_consent",
    )


def test_with_consent_in_force_the_referral_is_sent(dale, hana, rita, team_a):
    consent(dale, agency(hana), rita)
    contact = refer(dale, rita, team_a, "lakeside housing")  # the directory's name, however typed
    assert contact.housing_referral_status == "sent"


def test_an_expired_or_revoked_consent_or_another_agencys_does_not_count(dale, hana, lou, rita, team_a):
    given = consent(dale, agency(hana), rita)
    services.sharing_consent_revoke(consent=given, by=rita)
    consent(dale, agency(lou), rita)  # the police liaison's, not the housing agency's
    with pytest.raises(Conflict):
        refer(dale, rita, team_a, "Lakeside Housing")


def test_an_agency_outside_the_directory_cannot_be_checked_so_is_refused(dale, rita, team_a):
    with pytest.raises(Conflict) as exc:
        refer(dale, rita, team_a, "Some Shelter Inc")
    assert "not in the partner directory" in exc.value.message
    assert AuditEntry.objects.get(action="homeless_outreach.housing_referral.refused").detail["reason"] == (
        "not_in_directory"
    )


def test_later_steps_of_a_referral_are_not_sharing_anew(dale, hana, rita, team_a):
    contact = services.outreach_contact_record(
        person=dale, by=rita, team=team_a, housing_partner="Lakeside Housing", housing_referral_status="accepted"
    )
    assert contact.housing_referral_status == "accepted"


def test_a_navigator_referring_to_her_own_agency_shares_nothing_new(dale, hana):
    contact = services.outreach_contact_record(
        person=dale, by=hana, housing_partner="Lakeside Housing", housing_referral_status="sent"
    )
    assert contact.partner == agency(hana)


def test_the_encounter_page_says_why_with_a_409(client, dale, hana, rita, team_a):
    client.force_login(rita)
    url = f"/programs/homeless_outreach/people/{dale.pk}/contact/"
    body = {
        "team": team_a.pk,
        "outcome": "housing",
        "housing_partner": "Lakeside Housing",
        "housing_referral_status": "sent",
    }
    res = client.post(url, body)
    assert res.status_code == 409 and "No consent to share with Lakeside Housing" in res.content.decode()
    consent(dale, agency(hana), rita)
    assert client.post(url, body).status_code == 302
