"""Issue 9: while a call is taken, intake warns of a possible duplicate (same callback number or address within
DUPLICATE_WINDOW_MINUTES) with a link to the first call. Chromium at 1440x900."""

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


def test_intake_prompts_a_possible_duplicate_by_callback_number(live_stack, chromium, dana, new_call):
    first = off_loop(
        new_call, nature="Man on the roof shouting", address="1200 W Lake St", callback_number="312-555-0101"
    )
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        page.goto(f"{live_stack.url}/dispatch/calls/new/")
        page.fill("#id_callback_number", "(312) 555 0101")
        prompt = page.locator("#history .duplicates")
        expect(prompt).to_contain_text("Possible duplicate", timeout=WAIT)
        expect(prompt).to_contain_text(f"#{first.pk}")
        expect(prompt).to_contain_text("Man on the roof shouting")
        expect(prompt).to_contain_text("same callback number")
        page.fill("#id_address", "1200 W Lake St")
        expect(prompt).to_contain_text("same address, same callback number", timeout=WAIT)
        screenshot(page, "intake-duplicate.png")
        assert prompt.locator(f'a[href="/dispatch/calls/{first.pk}/"]').count() == 1
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
