"""Issue 9, the desk over a shift: the answer figure, readable timelines, the closed-calls list, times in the centre's
zone, and the phone's transport destination and un-preselected clear form. Chromium 1440x900 and 360 px."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.support.live_stack import off_loop
from tests.support.strands import assert_no_call_strands

from .test_live_journeys import DESK_1440, PHONE, SETTLE, WAIT, screenshot, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def eventually(read, seconds: float = 10):
    """What `read` gives once it gives something (the server commits a phone's tap a moment after it shows)."""
    deadline = time.monotonic() + seconds
    while not (value := read()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def test_answer_figure_readable_timeline_and_closed_calls(live_stack, chromium, dana, new_call):
    from dispatch import services, telephony

    # The phone system reported this caller's call: rang 9 s before the pick-up (within NENA's 15 s).
    now = timezone.now()
    off_loop(
        telephony.telephony_answered, ref="pbx-77", ani="312 555 0177", rang_at=now - timedelta(seconds=9),
        answered_at=now, by=dana,
    )  # fmt: skip
    call = off_loop(new_call, nature="Says she took too many pills", callback_number="312-555-0177")
    off_loop(services.call_triage, call=call, screen={"phone_engaged": True}, by=dana)
    off_loop(services.call_resolve_by_phone, call=call, by=dana, note="Poison control on the line; safety plan")
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        expect(page.locator("#answer-figure")).to_contain_text("1 of 1", timeout=WAIT)
        expect(page.locator("#answer-figure")).to_contain_text("100%")
        # Resolved by phone: closed, so not on the board.
        expect(page.locator(f'#calls tr[data-call="{call.pk}"]')).to_have_count(0, timeout=WAIT)

        page.get_by_role("link", name="Closed calls").click()
        rows = page.locator("table.closed-calls tbody tr")
        expect(rows).to_have_count(1, timeout=WAIT)
        expect(rows.first).to_contain_text("Resolved by phone")
        page.select_option("#id_disposition", "cancelled")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("section.card")).to_contain_text("No closed call matches.")
        page.select_option("#id_disposition", "resolved_by_phone")
        page.get_by_role("button", name="Filter").click()
        expect(rows).to_have_count(1, timeout=WAIT)
        screenshot(page, "desk-closed-calls.png")
        rows.first.get_by_role("link", name=f"#{call.pk}").click()

        timeline = page.locator("ol.timeline")
        expect(timeline).to_contain_text("Call taken (911 transfer), answer time from the phone system.", timeout=WAIT)
        expect(timeline).to_contain_text("Resolved by phone: Poison control on the line; safety plan.")
        expect(timeline).to_contain_text("Closed: resolved by phone.")
        assert not re.search(r"\bcall\.[a-z_]+", timeline.inner_text())  # no event codes
        expect(page.locator("dl")).to_contain_text("answered")
        screenshot(page, "desk-call-timeline.png")
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()


def test_the_browser_shows_the_centres_time_not_the_devices(live_stack, chromium, dana):
    # The server's zone is TIME_ZONE (America/Chicago); this desk's computer is set to Tokyo.
    desk = chromium.new_context(viewport=DESK_1440, timezone_id="Asia/Tokyo")
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        instant = datetime(2026, 3, 2, 16, 5, 9, tzinfo=UTC)
        shown = page.evaluate("(iso) => window.CrisisLive.hhmmss(new Date(iso))", instant.isoformat())
        assert shown == timezone.localtime(instant).strftime("%H:%M:%S") == "10:05:09"
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()


def test_phone_transport_names_a_destination_and_clear_has_no_preselected_disposition(
    live_stack, chromium, dana, rita, team_a, new_call
):
    from dispatch import services
    from dispatch.models import Call

    call = off_loop(new_call, nature="Needs the crisis centre")
    off_loop(services.call_triage, call=call, screen={"phone_engaged": True}, by=dana)
    off_loop(services.call_assign, call=call, team=team_a, by=dana, reason="closest, by hand", confirm_gaps=True)
    off_loop(services.call_advance, call=Call.objects.get(pk=call.pk), to="on_scene", by=rita)
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        mobile = phone.new_page()
        sign_in(mobile, live_stack.url, "rita")
        status = mobile.locator("#call-status")
        expect(status).to_have_attribute("data-status", "on_scene", timeout=WAIT)
        # Nothing chosen in advance: the responder must say how it ended.
        assert mobile.locator("#disposition").input_value() == ""
        mobile.once("dialog", lambda dialog: dialog.accept("Northside Crisis Centre"))
        mobile.get_by_role("button", name="Transporting", exact=True).click()
        expect(status).to_have_attribute("data-status", "transporting", timeout=WAIT)
        assert mobile.locator("#disposition").input_value() == ""
        screenshot(mobile, "phone-transporting.png")
        # The phone shows the step at once (its offline queue); the server's commit follows.
        assert eventually(lambda: Call.objects.get(pk=call.pk).transport_destination) == "Northside Crisis Centre"
        mobile.select_option("#disposition", "referred")
        mobile.click("#clear")
        expect(mobile.locator("#idle")).to_be_visible(timeout=WAIT)
        assert eventually(lambda: Call.objects.get(pk=call.pk).disposition) == "referred"
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        phone.close()
