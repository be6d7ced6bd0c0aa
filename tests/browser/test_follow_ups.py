"""A responder records a follow-up on a 360 px phone, in Chromium: the due clocks, the form, the closed record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crisis.models import AuditEntry
from programs.mobile_crisis.models import FollowUp
from tests.browser.test_live_journeys import PHONE, WAIT, screenshot, sign_in
from tests.factories import closed_field_response
from tests.support.live_stack import off_loop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_a_responder_records_a_follow_up_at_360_px(dana, rita, team_a, person, new_call, live_stack, chromium):
    def world():
        overdue = closed_field_response(new_call, dana, rita, team_a, person=person, callback_number="312-555-0199")
        later = closed_field_response(new_call, dana, rita, team_a, person_description="Young man, green hoodie")
        FollowUp.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(hours=3, minutes=10))
        FollowUp.objects.filter(pk=later.pk).update(due_at=timezone.now() + timedelta(hours=5, minutes=10))
        return overdue, later

    overdue, later = off_loop(world)
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        sign_in(page, live_stack.url, "rita")
        page.goto(f"{live_stack.url}/programs/mobile_crisis/follow-ups/")
        card = page.locator(f"#follow-up-{overdue.pk}")
        expect(card.locator(".due-clock.overdue")).to_have_text("overdue 3 h", timeout=WAIT)
        expect(page.locator(f"#follow-up-{later.pk} .due-clock")).to_have_text("due in 5 h")
        # Nothing spills sideways on a 360 px screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "follow-ups-360.png")

        card.locator("summary").click()
        card.get_by_label("Reached", exact=True).check()
        card.get_by_label("Visit").check()
        card.get_by_label("Note").fill("Home, sleeping better, has meds")
        card.get_by_label("Next step").fill("Outpatient intake Tuesday")
        screenshot(page, "follow-up-record-360.png")
        card.get_by_role("button", name="Save and close follow-up").click()

        expect(page.locator(".messages")).to_contain_text(f"call #{overdue.call_id} recorded", timeout=WAIT)
        expect(page.locator(f"#follow-up-{overdue.pk}")).to_have_count(0)
        expect(page.locator(f"#follow-up-{later.pk}")).to_have_count(1)
        screenshot(page, "follow-ups-recorded-360.png")
    finally:
        phone.close()

    done = off_loop(lambda: FollowUp.objects.get(pk=overdue.pk))
    assert (done.reached, done.method, done.next_step, done.completed_by_id) == (
        True,
        "visit",
        "Outpatient intake Tuesday",
        rita.pk,
    )
    assert off_loop(
        lambda: AuditEntry.objects.filter(action="mobile_crisis.follow_up.recorded", object_id=str(done.pk)).exists()
    )
