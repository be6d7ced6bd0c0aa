"""Issue 9: the desk searches calls by callback number and by date range, and opens a result. Chromium 1440x900."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crisis.models import AuditEntry
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


def test_dispatcher_finds_a_call_by_callback_number(live_stack, chromium, dana, team_a, new_call):
    wanted = off_loop(new_call, nature="Caller says her son is not eating", callback_number="(312) 555-0199")
    off_loop(new_call, nature="Someone else", callback_number="773-555-0123")
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        page.get_by_role("link", name="Search").click()
        page.fill("#id_callback", "312 555 0199")
        page.get_by_role("button", name="Search").click()
        results = page.locator("table.search-results tbody tr")
        expect(results).to_have_count(1, timeout=WAIT)
        expect(results.first).to_contain_text("Caller says her son is not eating")
        screenshot(page, "desk-search.png")
        assert AuditEntry.objects.filter(action="dispatch.calls.searched", detail__calls=[wanted.pk]).exists()
        page.fill("#id_since", "2026-11-20")
        page.fill("#id_until", "2026-11-01")
        page.get_by_role("button", name="Search").click()
        expect(page.locator(".error[role=alert]")).to_contain_text("The end date is before the start date.")
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
