"""A supervisor reads one person's story on one screen at 1440x900, in Chromium: newest first, open and overdue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from programs.community_responders import services as referrals
from programs.community_responders.models import Partner
from programs.homeless_outreach import services as outreach
from programs.mobile_crisis.models import FollowUp
from tests.browser.test_live_journeys import WAIT, screenshot, sign_in
from tests.factories import closed_field_response
from tests.support.live_stack import off_loop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_the_person_page_tells_the_story_newest_first(
    dana, rita, sue, cam, team_a, person, new_call, live_stack, chromium
):
    def world():
        follow_up = closed_field_response(new_call, dana, rita, team_a, person=person)
        FollowUp.objects.filter(pk=follow_up.pk).update(due_at=timezone.now() - timedelta(hours=4))
        partner = Partner.objects.create(
            name="Northside Clinic", services="Outpatient psychiatry", phone="312-555-0150"
        )
        referral = referrals.referral_create(call=follow_up.call, by=rita, partner=partner, service="Psychiatry intake")
        referrals.referral_set_status(referral=referral, status="accepted", by=rita)
        outreach.outreach_contact_record(person=person, team=team_a, by=rita, outcome="shelter", note="Bed at Pacific")
        return follow_up

    follow_up = off_loop(world)
    desk = chromium.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "sue")
        page.goto(f"{live_stack.url}/people/{person.pk}/")
        expect(page.locator("h1")).to_contain_text("Marcus Hill", timeout=WAIT)
        expect(page.locator("h1")).to_contain_text("1 overdue")
        rows = page.locator("#story li")
        expect(rows.first).to_contain_text("Outreach contact by Team A")
        expect(page.locator("#story li.follow-up.overdue")).to_contain_text(f"after call #{follow_up.call_id}")
        expect(page.locator("#story li.referral")).to_contain_text("Accepted by the partner")
        texts = rows.all_inner_texts()
        assert texts.index(next(t for t in texts if "Call #" in t)) > texts.index(
            next(t for t in texts if "Referral" in t)
        )
        # Mental-health history is not on the page: a door to the consent-scoped lookup, with the purpose asked.
        expect(page.locator("#history-door")).to_contain_text("Not shown here")
        assert "Bipolar I" not in page.content()
        screenshot(page, "person-story-1440.png")
        page.fill("#history-purpose", "Follow-up after call")
        page.click("#history-door button")
        expect(page.locator("#audit-line")).to_contain_text("Follow-up after call", timeout=WAIT)
        expect(page.locator("#clinical")).to_contain_text("No consent on file")
        screenshot(page, "person-history-door-1440.png")
    finally:
        desk.close()

    # A clinician records the person's signed consent: the next view opens their clinical history.
    clinic = chromium.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = clinic.new_page()
        sign_in(page, live_stack.url, "cam")
        page.goto(f"{live_stack.url}/history/people/{person.pk}/?purpose=Follow-up+after+call")
        expect(page.locator("#clinical")).to_contain_text("No consent on file", timeout=WAIT)
        page.select_option("#id_scope", "clinical_history")
        page.fill("#id_document", "Scanned to the EHR")
        page.get_by_role("button", name="Record the consent").click()
        expect(page.locator("#consents")).to_contain_text("in force", timeout=WAIT)
        expect(page.locator("#clinical")).to_contain_text("Bipolar I")
        screenshot(page, "history-consent-recorded-1440.png")
    finally:
        clinic.close()
