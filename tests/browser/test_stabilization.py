"""A case manager works a crisis stabilization episode on a 360 px phone: the due clock, a contact, the close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from programs.crisis_stabilization.models import Episode
from tests.browser.test_live_journeys import PHONE, WAIT, screenshot, sign_in
from tests.support.live_stack import off_loop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_a_case_manager_records_a_contact_and_closes_the_episode_at_360_px(cora, episode, live_stack, chromium):
    off_loop(lambda: Episode.objects.filter(pk=episode.pk).update(due_at=timezone.now() - timedelta(hours=2)))
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        sign_in(page, live_stack.url, "cora")
        page.goto(f"{live_stack.url}/programs/crisis_stabilization/")
        card = page.locator(f"#episode-{episode.pk}")
        expect(card.locator(".due-clock.overdue")).to_contain_text("overdue 2", timeout=WAIT)
        expect(card).to_contain_text("Owner: you")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "stabilization-list-360.png")

        card.get_by_role("link", name="Marcus Hill").click()
        page.get_by_text("Record a contact").click()
        page.get_by_label("How", exact=True).select_option("phone")
        page.locator("#id_contact-note").fill("Slept at home, sister staying over")
        due = timezone.localtime() + timedelta(days=1)
        page.get_by_label("Next contact due").fill(due.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Save contact").click()
        expect(page.locator(".messages")).to_contain_text("Contact recorded.", timeout=WAIT)
        expect(page.locator(".due-clock")).not_to_have_class("overdue")
        page.get_by_text("Close the episode…").click()
        page.get_by_label("Outcome").select_option("stabilized")
        screenshot(page, "stabilization-episode-360.png")
        page.get_by_role("button", name="Close episode").click()
        expect(page.locator("section.card").first).to_contain_text("Stable in the community", timeout=WAIT)
    finally:
        phone.close()

    def outcome():
        done = Episode.objects.get(pk=episode.pk)
        return done.outcome, done.closed_by_id, done.contacts.count()

    assert off_loop(outcome) == ("stabilized", cora.pk, 1)
