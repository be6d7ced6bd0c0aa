"""FACT in Chromium: a supervisor enrols a client and works the record at 1440x900; a call about the client is
routed to their own FACT team, and the team's 360 px phone shows the care-plan essentials and who is on call."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crisis.models import AuditEntry
from programs.fact.models import Contact, Enrollment, Goal
from tests.browser.test_live_journeys import DESK_1440, PHONE, SETTLE, WAIT, screenshot, sign_in
from tests.conftest import CALL_DEFAULTS
from tests.support.live_stack import off_loop
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_a_supervisor_enrols_a_client_and_works_the_record(sue, fay, fact_team, person, live_stack, chromium):
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "sue")
        page.goto(f"{live_stack.url}/programs/fact/enrol/?person={person.pk}")
        expect(page.locator("h1")).to_contain_text("Marcus Hill", timeout=WAIT)
        page.get_by_role("button", name="Enrol").click()
        # Eligibility is not assumed: the form says what is missing.
        expect(page.locator(".error").first).to_be_visible(timeout=WAIT)
        page.get_by_label("Has a serious mental illness").check()
        page.get_by_label("Qualifying diagnosis").fill("Schizoaffective disorder")
        page.get_by_label("Justice involvement").select_option("probation")
        page.get_by_label("Arrests in the 12 months before").fill("4")
        page.get_by_label("Days in jail in the 12 months before").fill("63")
        page.get_by_label("Crisis plan").fill("Speak slowly. Sister Ana 312-555-0111 calms him.")
        screenshot(page, "fact-enrol-1440.png")
        page.get_by_role("button", name="Enrol").click()
        expect(page.locator(".messages")).to_contain_text("is enrolled with FACT 1", timeout=WAIT)
        expect(page.locator("table.outcomes tr[data-outcome=arrests] td").first).to_have_text("4")

        page.get_by_text("Add a goal").click()
        page.get_by_label("Goal", exact=True).fill("Keeps every probation appointment")
        page.get_by_role("button", name="Add goal").click()
        expect(page.locator(".goals")).to_contain_text("Keeps every probation appointment", timeout=WAIT)
        page.locator(".goal-status select").select_option("met")
        page.locator(".goal-status").get_by_role("button", name="Update").click()
        expect(page.locator(".goals .badge")).to_have_text("Met", timeout=WAIT)

        page.get_by_text("Record a contact").click()
        page.get_by_label("How", exact=True).select_option("court")
        page.locator("#id_contact-note").fill("Went to court with him; case continued")
        page.get_by_role("button", name="Save contact").click()
        expect(page.locator("ol.contacts")).to_contain_text("case continued", timeout=WAIT)
        screenshot(page, "fact-client-1440.png")

        page.goto(f"{live_stack.url}/programs/fact/")
        expect(page.locator(".ratio")).to_contain_text("1 client · 2 staff · 0.5 per staff member", timeout=WAIT)
        expect(page.locator(".on-call-now")).to_contain_text("Nobody is on call now.")
        page.get_by_text("On-call rota").click()
        start = timezone.localtime() - timezone.timedelta(hours=1)
        page.get_by_label("Who").select_option(label="Fay")
        page.get_by_label("From").fill(start.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Until").fill((start + timezone.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Add shift").click()
        expect(page.locator(".on-call-now")).to_contain_text("On call now: Fay", timeout=WAIT)
        assert page.evaluate("document.documentElement.scrollWidth") <= DESK_1440["width"]
        screenshot(page, "fact-caseload-1440.png")
    finally:
        desk.close()

    enrollment = off_loop(lambda: Enrollment.objects.get(person=person))
    assert (enrollment.justice_involvement, enrollment.arrests_before, enrollment.jail_days_before) == (
        "probation",
        4,
        63,
    )
    assert off_loop(lambda: Goal.objects.get(enrollment=enrollment).status) == "met"
    assert off_loop(lambda: Contact.objects.get(enrollment=enrollment).method) == "court"


def test_the_clients_team_phone_shows_the_care_plan_on_a_call_about_them(
    dana, fay, fact_team, enrolled, fay_on_call, live_stack, chromium
):
    from dispatch import services

    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        sign_in(page, live_stack.url, "fay")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)

        def call_about_the_client():
            call = services.call_create(by=dana, **(CALL_DEFAULTS | {"person": enrolled.person}))
            services.call_triage(call=call, screen={}, by=dana)
            return call

        call = off_loop(call_about_the_client)
        # The router offers the client's own FACT team first (continuity of care).
        page.get_by_role("button", name=re.compile("^Accept")).click(timeout=WAIT)
        brief = page.locator("#brief")
        expect(brief).to_contain_text("FACT client of FACT 1", timeout=WAIT)
        expect(brief).to_contain_text("Calm voice; sister Ana 312-555-0111")
        expect(brief.get_by_role("link", name=re.compile("On call: Fay"))).to_have_attribute("href", "tel:3125550177")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "fact-phone-brief-360.png")
        page.get_by_role("button", name="En route").click()
        page.get_by_role("button", name="On scene").click(timeout=WAIT)
        page.locator("#disposition").select_option("stabilized")
        page.get_by_role("button", name="Clear call").click()
        expect(page.locator("#idle")).to_be_visible(timeout=WAIT)
        expect(brief).to_be_hidden()
    finally:
        phone.close()

    assert off_loop(
        lambda: AuditEntry.objects.filter(action="fact.care_plan.viewed", actor=fay, detail__call=call.pk).exists()
    )
    off_loop(assert_no_call_strands, settle_seconds=SETTLE)


def test_after_hours_a_call_about_a_new_client_reaches_the_on_call_member_and_counts(
    sue, dana, fay, fact_team, person, fay_on_call, after_hours, live_stack, chromium
):
    from dispatch import services

    desk = chromium.new_context(viewport=DESK_1440)
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        office = desk.new_page()
        sign_in(office, live_stack.url, "sue")
        office.goto(f"{live_stack.url}/programs/fact/enrol/?person={person.pk}")
        office.get_by_label("Has a serious mental illness").check()
        office.get_by_label("Qualifying diagnosis").fill("Schizophrenia")
        office.get_by_label("Justice involvement").select_option("jail_release")
        office.get_by_label("Crisis plan").fill("Call his sister Ana 312-555-0111 first.")
        office.get_by_role("button", name="Enrol").click()
        expect(office.locator(".messages")).to_contain_text("is enrolled with FACT 1", timeout=WAIT)
        calls_row = office.locator("table.outcomes tr[data-outcome=crisis-calls] td")
        expect(calls_row.nth(1)).to_have_text("0")
        client_url = office.url

        page = phone.new_page()
        sign_in(page, live_stack.url, "fay")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)

        def call_about_the_client():
            call = services.call_create(by=dana, **(CALL_DEFAULTS | {"person": person}))
            services.call_triage(call=call, screen={}, by=dana)
            return call

        call = off_loop(call_about_the_client)
        # The FACT office is closed; Fay carries the team's phone tonight, so the offer is hers.
        page.get_by_role("button", name=re.compile("^Accept")).click(timeout=WAIT)
        brief = page.locator("#brief")
        expect(brief).to_contain_text("FACT client of FACT 1", timeout=WAIT)
        expect(brief).to_contain_text("Call his sister Ana 312-555-0111 first.")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "fact-after-hours-phone-360.png")
        page.get_by_role("button", name="En route").click()
        page.get_by_role("button", name="On scene").click(timeout=WAIT)
        page.locator("#disposition").select_option("stabilized")
        page.get_by_role("button", name="Clear call").click()
        expect(page.locator("#idle")).to_be_visible(timeout=WAIT)

        # The outcome FACT exists for: crisis calls since enrolment now counts this one.
        office.goto(client_url)
        expect(calls_row.nth(1)).to_have_text("1", timeout=WAIT)
        expect(calls_row.nth(0)).to_have_text("0")
        screenshot(office, "fact-after-hours-outcomes-1440.png")
    finally:
        phone.close()
        desk.close()

    assignment = off_loop(lambda: call.assignments.get(status="completed"))
    assert assignment.team_id == fact_team.pk
    assert "After hours" in " ".join(
        off_loop(lambda: type(call).objects.get(pk=call.pk).routing_explanation)["chosen"]["notes"]
    )
    off_loop(assert_no_call_strands, settle_seconds=SETTLE)
