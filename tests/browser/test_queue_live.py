"""The Queue page (/dispatch/) is drawn by the server; when a call is added, changes or leaves the queue after that,
a banner says so and one button redraws the list (static/js/queue.js). It never reloads by itself.

Chromium at 1440x900, the dispatcher dana.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.live_stack import off_loop
from tests.support.strands import assert_no_call_strands

from .test_live_journeys import DESK_1440, SETTLE, WAIT, screenshot, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_queue_page_says_what_changed_since_it_was_drawn(live_stack, chromium, dana, rita, team_a, new_call):
    from dispatch import services

    # No team free: the calls wait in the queue instead of being routed away while the test looks at them.
    off_loop(services.team_set_status, team=team_a, status="off_shift", by=rita)
    waiting = off_loop(new_call, nature="Neighbour worried", address="1400 W Lake St")
    leaving = off_loop(new_call, nature="Caller hung up", address="1500 W Lake St")

    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        page.goto(f"{live_stack.url}/dispatch/")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        expect(page.locator("tr[data-call]")).to_have_count(2)
        expect(page.locator("#queue-changed")).to_be_hidden()

        fresh = off_loop(new_call, nature="Took pills", address="1300 W Lake St")
        off_loop(new_call, nature="Elsewhere", address="1 Main St", region="north")  # not this desk's region
        off_loop(services.call_triage, call=waiting, screen={"intoxication": True}, by=dana)
        off_loop(services.call_cancel, call=leaving, reason="Caller hung up, no answer on call-back", by=dana)

        banner = page.locator("#queue-changed")
        expect(banner).to_be_visible(timeout=WAIT)
        expect(banner).to_contain_text("1 new call, 1 call changed, 1 call left the queue", timeout=WAIT)
        expect(page).to_have_title("(3) Queue · Crisis dispatch")
        # Nothing moved under the dispatcher's pointer: the list is as drawn until they ask.
        expect(page.locator("tr[data-call]")).to_have_count(2)
        expect(page.locator(f'tr[data-call="{waiting.pk}"] .stale-mark')).to_have_text("Changed")
        expect(page.locator(f'tr[data-call="{leaving.pk}"] .stale-mark')).to_have_text("Left the queue")
        screenshot(page, "queue-changed-1440.png")

        page.locator("#queue-reload").click()
        expect(page.locator(f'tr[data-call="{fresh.pk}"]')).to_be_visible(timeout=WAIT)
        expect(page.locator(f'tr[data-call="{leaving.pk}"]')).to_have_count(0)
        expect(page.locator("tr[data-call]")).to_have_count(2)
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        expect(page.locator("#queue-changed")).to_be_hidden()
        expect(page).to_have_title("Queue · Crisis dispatch")

        off_loop(services.team_set_status, team=team_a, status="available", by=rita)
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
