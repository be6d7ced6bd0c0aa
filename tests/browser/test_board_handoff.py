"""Issue 9: a police/EMS-led call is flagged on the board with a running clock until the desk records the
hand-off (agency, their incident number, unit). EMS-only is distinct from police. Chromium at 1440x900."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dispatch.models import Handoff
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


def test_dispatcher_records_an_ems_hand_off_and_the_flag_and_clock_go(live_stack, chromium, dana, team_a, new_call):
    from dispatch import services

    medical = off_loop(new_call, nature="Overdose, breathing slowly", address="1300 W Lake St")
    off_loop(services.call_triage, call=medical, screen={"medical": True}, by=dana)
    armed = off_loop(new_call, nature="Man with a knife threatening neighbours", address="1400 W Lake St")
    off_loop(services.call_triage, call=armed, screen={"weapons": True, "violence": True}, by=dana)

    desk = chromium.new_context(viewport=DESK_1440)
    try:
        board = desk.new_page()
        sign_in(board, live_stack.url, "dana")
        expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        med_row = board.locator(f'#calls tr[data-call="{medical.pk}"]')
        armed_row = board.locator(f'#calls tr[data-call="{armed.pk}"]')
        expect(med_row.locator(".badge.handoff")).to_contain_text("Hand off to EMS", timeout=WAIT)
        expect(armed_row.locator(".badge.handoff")).to_contain_text("Hand off to Police")
        expect(med_row.locator(".badge.handoff")).not_to_contain_text("Police")
        # The clock runs.
        clock = med_row.locator(".badge.handoff .clock")
        first = clock.inner_text()
        board.wait_for_timeout(2100)
        assert clock.inner_text() != first

        med_row.click()
        form = board.locator("#detail form.handoff-form")
        expect(form).to_contain_text("Hand off to EMS", timeout=WAIT)
        expect(form.locator("#handoff-agency option")).to_have_count(1)
        form.locator("#handoff-incident").fill("F-2611-0042")
        form.locator("#handoff-unit").fill("Medic 14")
        screenshot(board, "board-handoff.png")
        form.get_by_role("button", name="Record hand-off").click()

        expect(med_row.locator(".badge.handoff")).to_have_count(0, timeout=WAIT)
        expect(board.locator("#detail ul.handoffs")).to_contain_text("Handed to EMS", timeout=WAIT)
        expect(board.locator("#detail ul.handoffs")).to_contain_text("incident F-2611-0042 · unit Medic 14")
        expect(board.locator("#detail form.handoff-form")).to_have_count(0)
        expect(armed_row.locator(".badge.handoff")).to_contain_text("Hand off to Police")
        handoff = Handoff.objects.get()
        assert (handoff.call_id, handoff.agency, handoff.unit, handoff.recorded_by) == (
            medical.pk,
            "ems",
            "Medic 14",
            dana,
        )
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
