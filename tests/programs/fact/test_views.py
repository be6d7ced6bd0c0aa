"""FACT pages: caseload with ratio and on-call, enrolment, the client record and its forms; audited reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.models import AuditEntry
from programs.fact.models import Contact, Enrollment, Goal, OnCallShift

pytestmark = pytest.mark.django_db


def test_caseload_page_shows_ratio_on_call_and_clients_and_audits(client, fay, enrolled, fay_on_call):
    client.force_login(fay)
    page = client.get("/programs/fact/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Marcus Hill" in html and "0.5 per staff member" in html and "(target 10)" in html
    assert "On call now:" in html and "tel:312-555-0177" in html
    entry = AuditEntry.objects.get(action="fact.caseload.viewed")
    assert entry.detail["enrollments"] == [enrolled.pk]


def test_nobody_on_call_is_said_plainly(client, fay, enrolled):
    client.force_login(fay)
    assert "Nobody is on call now." in client.get("/programs/fact/").content.decode()


def test_responder_outside_fact_sees_no_team_and_no_nav_link(client, rita, fact_team):
    client.force_login(rita)
    html = client.get("/programs/fact/").content.decode()
    assert "You are not on a FACT team." in html and "FACT caseload</a>" not in html


def test_enrol_form_records_eligibility(client, fay, fact_team, person):
    client.force_login(fay)
    form = client.get(f"/programs/fact/enrol/?person={person.pk}")
    assert form.status_code == 200 and "Marcus Hill" in form.content.decode()
    # The heading names the person: a read of their record, audited like the person page.
    read = AuditEntry.objects.get(action="people.person.viewed", actor=fay)
    assert (read.object_id, read.detail["via"]) == (str(person.pk), "fact.enrol")
    data = {
        "person": person.pk,
        "team": fact_team.pk,
        "serious_mental_illness": "on",
        "justice_involvement": "parole",
        "arrests_before": 2,
        "jail_days_before": 30,
        "hospital_days_before": 5,
        "enrolled_on": timezone.localdate().isoformat(),
    }
    response = client.post("/programs/fact/enrol/", data)
    enrollment = Enrollment.objects.get()
    assert response.status_code == 302 and response.url == f"/programs/fact/clients/{enrollment.pk}/"
    assert (enrollment.justice_involvement, enrollment.arrests_before, enrollment.enrolled_by) == ("parole", 2, fay)


def test_enrol_without_eligibility_is_a_form_error(client, fay, fact_team, person):
    client.force_login(fay)
    response = client.post(
        "/programs/fact/enrol/", {"person": person.pk, "team": fact_team.pk, "enrolled_on": "2026-11-01"}
    )
    assert response.status_code == 400
    assert "confirm it" in response.content.decode() and not Enrollment.objects.exists()


def test_enrol_unknown_person_is_a_form_error(client, fay, fact_team):
    client.force_login(fay)
    data = {"person": 999999, "team": fact_team.pk, "serious_mental_illness": "on", "justice_involvement": "parole"}
    data |= {"arrests_before": 0, "jail_days_before": 0, "hospital_days_before": 0, "enrolled_on": "2026-11-01"}
    response = client.post("/programs/fact/enrol/", data)
    assert response.status_code == 400 and "No person with this number." in response.content.decode()


def test_client_page_outcomes_goals_contacts_discharge(client, fay, enrolled):
    client.force_login(fay)
    url = f"/programs/fact/clients/{enrolled.pk}/"
    html = client.get(url).content.decode()
    assert "Days in jail" in html and "Calm voice" in html
    assert AuditEntry.objects.filter(action="fact.client.viewed", object_id=str(enrolled.pk)).count() == 1

    assert client.post(url + "contact/", {"contact-method": "phone", "contact-reached": "no"}).status_code == 302
    assert Contact.objects.get().reached is False
    assert client.post(url + "goal/", {"goal-text": "Takes medication daily"}).status_code == 302
    goal = Goal.objects.get()
    assert client.post(f"/programs/fact/goals/{goal.pk}/status/", {f"g{goal.pk}-status": "met"}).status_code == 302
    goal.refresh_from_db()
    assert goal.status == "met"
    today = timezone.localdate().isoformat()
    bad = client.post(url + "outcome/", {"outcome-kind": "jail", "outcome-on": today, "outcome-days": 0})
    assert bad.status_code == 400 and "at least one day" in bad.content.decode()
    ok = client.post(url + "outcome/", {"outcome-kind": "jail", "outcome-on": today, "outcome-days": 3})
    assert ok.status_code == 302
    missing = client.post(url + "discharge/", {"discharge-discharged_on": today})
    assert missing.status_code == 400
    done = client.post(url + "discharge/", {"discharge-reason": "moved", "discharge-discharged_on": today})
    assert done.status_code == 302
    enrolled.refresh_from_db()
    assert enrolled.discharge_reason == "moved"
    assert "Moved out of the service area" in client.get(url).content.decode()


def test_unknown_client_action_is_404(client, fay, enrolled):
    client.force_login(fay)
    assert client.post(f"/programs/fact/clients/{enrolled.pk}/delete/", {}).status_code == 404


def test_another_team_gets_403_on_the_client(client, hal, enrolled):
    client.force_login(hal)
    assert client.get(f"/programs/fact/clients/{enrolled.pk}/").status_code == 403
    assert client.post(f"/programs/fact/clients/{enrolled.pk}/contact/", {"contact-method": "visit"}).status_code == 403


def test_supervisor_adds_on_call_shift_and_overlap_is_a_form_error(client, sue, fay, fact_team):
    client.force_login(sue)
    start = timezone.localtime() + timedelta(hours=1)
    fmt = "%Y-%m-%dT%H:%M"
    data = {
        f"t{fact_team.pk}-member": fay.pk,
        f"t{fact_team.pk}-starts_at": start.strftime(fmt),
        f"t{fact_team.pk}-ends_at": (start + timedelta(hours=8)).strftime(fmt),
    }
    assert client.post(f"/programs/fact/teams/{fact_team.pk}/on-call/", data).status_code == 302
    again = client.post(f"/programs/fact/teams/{fact_team.pk}/on-call/", data)
    assert again.status_code == 400 and "Overlaps" in again.content.decode()
    assert OnCallShift.objects.count() == 1


def test_responder_may_not_add_on_call(client, fay, fact_team):
    client.force_login(fay)
    assert client.post(f"/programs/fact/teams/{fact_team.pk}/on-call/", {}).status_code == 403


def test_person_page_shows_enrolment_and_contacts(client, cam, fay, enrolled):
    from programs.fact import services

    services.contact_record(enrollment=enrolled, by=fay, method="visit", note="Home visit")
    client.force_login(cam)
    html = client.get(f"/people/{enrolled.person_id}/").content.decode()
    assert "Enrolled with FACT team FACT 1 (on probation)" in html and "FACT contact" in html


def test_the_person_page_offers_enrolment_to_a_supervisor_until_enrolled(client, sue, fact_team, person, fay):
    from programs.fact import services
    from tests.support.fact import ELIGIBLE

    client.force_login(sue)
    link = f"/programs/fact/enrol/?person={person.pk}"
    assert link in client.get(f"/people/{person.pk}/").content.decode()
    services.enrollment_create(person=person, team=fact_team, by=fay, **ELIGIBLE)
    assert link not in client.get(f"/people/{person.pk}/").content.decode()
