"""Issue 9: the board works from the keyboard: J/K move between calls, A acknowledges the oldest SOS, M mutes,
T opens the selected call's risk screen.

Chromium at 1440x900.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.live_stack import off_loop
from tests.support.strands import assert_no_call_strands

from .test_live_journeys import DESK_1440, SETTLE, WAIT, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_board_shortcuts(live_stack, chromium, dana, rita, team_a, new_call):
    from dispatch import services

    off_loop(services.team_set_status, team=team_a, status="off_shift", by=rita)
    urgent = off_loop(new_call, nature="Took pills", address="1300 W Lake St")
    off_loop(services.call_triage, call=urgent, screen={"si_behavior": True}, by=dana)
    later = off_loop(new_call, nature="Neighbour worried", address="1400 W Lake St")
    off_loop(services.call_triage, call=later, screen={"intoxication": True}, by=dana)
    off_loop(services.team_raise_sos, team=team_a, by=rita)

    desk = chromium.new_context(viewport=DESK_1440)
    try:
        board = desk.new_page()
        sign_in(board, live_stack.url, "dana")
        expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        expect(board.locator("#calls tr[data-call]")).to_have_count(2, timeout=WAIT)
        board.locator("h1").click()  # focus on the page, not a field
        board.keyboard.press("j")
        expect(board.locator(f'#calls tr[data-call="{urgent.pk}"]')).to_have_class(re.compile(r"\bselected\b"))
        expect(board.locator("#detail")).to_contain_text(f"Call #{urgent.pk}", timeout=WAIT)
        board.keyboard.press("j")
        expect(board.locator("#detail")).to_contain_text(f"Call #{later.pk}", timeout=WAIT)
        board.keyboard.press("k")
        expect(board.locator("#detail")).to_contain_text(f"Call #{urgent.pk}", timeout=WAIT)

        expect(board.locator("#alerts .sos")).to_have_count(1, timeout=WAIT)
        board.keyboard.press("a")
        expect(board.locator("#alerts .sos")).to_have_count(0, timeout=WAIT)
        assert team_a.sos_alerts.get().acknowledged_by == dana

        board.keyboard.press("m")
        expect(board.locator("#sound-toggle")).to_have_text("Sound off")
        # Typing in a field is typing, not a shortcut.
        board.locator("#detail #assign-reason").fill("")
        board.locator("#detail #assign-reason").press("m")
        expect(board.locator("#sound-toggle")).to_have_text("Sound off")
        assert board.locator("#detail #assign-reason").input_value() == "m"
        # T: the selected call's risk screen, to re-triage it.
        board.locator("h1").click()
        board.keyboard.press("k")
        expect(board.locator("#detail")).to_contain_text(f"Call #{urgent.pk}", timeout=WAIT)
        board.keyboard.press("t")
        expect(board).to_have_url(re.compile(rf"/dispatch/calls/{urgent.pk}/#risk-screen$"), timeout=WAIT)
        expect(board.locator("#risk-screen")).to_be_visible()
        off_loop(services.team_set_status, team=team_a, status="available", by=rita)
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
