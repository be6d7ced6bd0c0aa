"""The person page (dispatch/people.py): calls and every program's records about the person, newest first, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.models import AuditEntry
from dispatch.people import person_story
from programs import plugins
from programs.community_responders import services as referrals
from programs.community_responders.models import Partner
from programs.fact import services as fact
from programs.homeless_outreach import services as outreach
from programs.mobile_crisis.models import FollowUp
from programs.models import Program
from tests.conftest import make_team
from tests.factories import closed_field_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def story_world(new_call, dana, rita, sue, team_a, person):
    follow_up = closed_field_response(new_call, dana, rita, team_a, person=person)
    FollowUp.objects.filter(pk=follow_up.pk).update(due_at=timezone.now() - timedelta(hours=2))
    partner = Partner.objects.create(name="Northside Clinic", services="Psychiatry")
    referral = referrals.referral_create(call=follow_up.call, by=dana, partner=partner, service="Intake")
    fact_program = Program.objects.create(name="FACT", kind="fact", tiers=["community"], clients_per_staff=10)
    fact_team, _ = make_team("FACT 1", fact_program, members=[("fay", "licensed_clinician", ["en"], [])])
    enrolment = fact.enrollment_create(
        person=person,
        team=fact_team,
        by=sue,
        serious_mental_illness=True,
        justice_involvement="probation",
        enrolled_on=timezone.localdate() - timedelta(days=30),
    )
    contact = outreach.outreach_contact_record(person=person, team=team_a, by=rita, outcome="shelter")
    return {"follow_up": follow_up, "referral": referral, "enrolment": enrolment, "contact": contact}


def test_every_program_tells_its_part_through_the_hook(story_world, person):
    kinds = {item.kind for item in plugins.person_timeline(person)}
    assert kinds == {"follow-up", "referral", "enrolment", "outreach contact"}


def test_the_story_is_newest_first_with_what_is_open_and_overdue(story_world, person):
    story = person_story(person)
    assert [i.at for i in story] == sorted((i.at for i in story), reverse=True)
    kinds = [i.kind for i in story]
    assert {"call", "triage", "dispatch", "disposition"} <= set(kinds)
    follow_up = next(i for i in story if i.kind == "follow-up")
    assert follow_up.open and follow_up.overdue and follow_up.url.endswith(f"#follow-up-{story_world['follow_up'].pk}")
    referral = next(i for i in story if i.kind == "referral")
    assert referral.open and not referral.overdue and referral.status == "Sent"
    enrolment = next(i for i in story if i.kind == "enrolment")
    assert enrolment.open and "FACT 1" in enrolment.title
    # The enrolment (30 days ago) is the oldest entry.
    assert story[-1].kind == "enrolment"


def test_the_page_renders_the_story_and_audits_the_read(client, cam, story_world, person):
    client.force_login(cam)
    response = client.get(f"/people/{person.pk}/?purpose=follow-up")
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 overdue" in html
    story = html[html.index('id="story"') :]
    assert story.index("Outreach contact by Team A") < story.index("Enrolled with FACT team FACT 1")
    assert "Referral to Northside Clinic" in story
    entry = AuditEntry.objects.get(action="people.person.viewed", object_id=str(person.pk))
    assert entry.actor == cam and entry.detail["purpose"] == "follow-up"


def test_the_page_does_not_query_per_item(client, cam, story_world, person, new_call, dana, rita, team_a):
    client.force_login(cam)
    client.get(f"/people/{person.pk}/")
    for _ in range(3):
        closed_field_response(new_call, dana, rita, team_a, person=person)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as more:
        assert client.get(f"/people/{person.pk}/").status_code == 200
    # A constant per program plug-in (FACT: enrolments and their contacts; stabilization: episodes), never per item.
    assert len(more) <= 16, [q["sql"][:120] for q in more]


@pytest.mark.parametrize("who", ["dana", "rita", "oli", "nora"])
def test_roles_without_the_person_record_are_refused(request, client, person, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/people/{person.pk}/").status_code == 403
    assert not AuditEntry.objects.filter(action="people.person.viewed").exists()


# --- Mental-health history stays behind the consent-scoped lookup (crisis/history) -------------------------


@pytest.fixture
def clinical_person(person):
    from crisis.history.models import ClinicalRecord, Consent

    ClinicalRecord.objects.create(person=person, on="2025-03-01", source="Mercy ED", summary="Admitted on a hold")
    Consent.objects.create(person=person, scope="clinical_history")
    return person


@pytest.mark.parametrize("persona", ["cam", "sue", "ada"])
def test_the_page_and_the_api_show_no_mental_health_history_even_with_consent(
    client, clinical_person, persona, request
):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(f"/people/{clinical_person.pk}/?purpose=call-12 follow-up")
    api = client.get(f"/api/people/{clinical_person.pk}/?purpose=call-12 follow-up")
    for response in (page, api):
        if response.status_code == 403:
            continue
        body = response.content.decode()
        assert "Bipolar I" not in body and "Admitted on a hold" not in body
    if api.status_code == 200:
        assert "mental_health_history" not in api.json()
    # The record read is audited as before; no history view happened.
    assert not AuditEntry.objects.filter(action__startswith="history.person.").exists()


def test_a_clinician_gets_the_door_to_the_lookup_with_the_purpose_carried(client, cam, clinical_person):
    client.force_login(cam)
    html = client.get(f"/people/{clinical_person.pk}/?purpose=call-12 follow-up").content.decode()
    door = html[html.index('id="history-door"') :]
    assert f'action="/history/people/{clinical_person.pk}/"' in door
    assert 'value="call-12 follow-up"' in door
    assert client.get(f"/api/people/{clinical_person.pk}/").json()["history_url"] == (
        f"/history/people/{clinical_person.pk}/"
    )


def test_an_administrator_is_told_it_is_not_shown_to_the_role(client, ada, clinical_person):
    client.force_login(ada)
    html = client.get(f"/people/{clinical_person.pk}/").content.decode()
    assert "Not shown to your role" in html and "/history/people/" not in html
    assert client.get(f"/api/people/{clinical_person.pk}/").json()["history_url"] is None


def test_the_admin_person_page_has_no_mental_health_history_field():
    from django.contrib import admin

    from crisis.models import Person

    model_admin = admin.site._registry[Person]
    assert "mental_health_history" not in model_admin.get_fields(request=None)
