"""Issue 9: a two-unit call. A community team on scene, and a police unit added by the desk as a co-response
(no paired team exists); each has its own status on the board row and the call page, and the call does not close
over the police unit still on scene until the dispatcher confirms. Chromium at 1440x900."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dispatch.models import Call, CallUnit
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


def test_dispatcher_runs_a_two_unit_call_and_confirms_the_close(live_stack, chromium, dana, rita, team_a, new_call):
    from dispatch import services

    call = off_loop(new_call, nature="Man shouting in the street, neighbours scared", address="1500 W Lake St")
    off_loop(services.call_triage, call=call, screen={}, by=dana)
    off_loop(services.call_assign, call=call, team=team_a, by=dana, reason="radio")
    off_loop(services.call_advance, call=call, to="on_scene", by=rita)

    desk = chromium.new_context(viewport=DESK_1440)
    try:
        board = desk.new_page()
        sign_in(board, live_stack.url, "dana")
        expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        row = board.locator(f'#calls tr[data-call="{call.pk}"]')
        expect(row).to_be_visible(timeout=WAIT)
        row.click()
        panel = board.locator("#detail .units-panel")
        expect(panel).to_contain_text("Crisis team", timeout=WAIT)
        form = panel.locator("form.unit-add")
        form.locator("#unit-agency").select_option("police")
        form.locator("#unit-id").fill("4A12")
        form.get_by_role("button", name="Add unit").click()

        expect(row.locator(".badge.unit")).to_contain_text("Police 4A12 · dispatched", timeout=WAIT)
        expect(panel.locator("li.unit-dispatched")).to_be_visible(timeout=WAIT)
        panel.get_by_role("button", name="En route").click()
        expect(row.locator(".badge.unit")).to_contain_text("en route", timeout=WAIT)
        # The panel redraws from the call's detail: act on the unit's new status, not the old buttons.
        expect(panel.locator("li.unit-en_route")).to_be_visible(timeout=WAIT)
        panel.get_by_role("button", name="On scene").click()
        expect(row.locator(".badge.unit-on_scene")).to_contain_text("Police 4A12 · on scene", timeout=WAIT)
        expect(panel.locator("li.unit-on_scene")).to_contain_text("on scene")
        screenshot(board, "board-two-units.png")

        # The call page: both units, and the close asks for a confirmation while police are on scene.
        page = desk.new_page()
        page.goto(f"{live_stack.url}/dispatch/calls/{call.pk}/")
        expect(page.locator("#call-units")).to_contain_text("Police 4A12")
        page.select_option("#id_disposition", "stabilized")
        page.get_by_role("button", name="Close call").click()
        expect(page.locator(".error[role=alert]").first).to_contain_text("Police 4A12 is still on scene")
        screenshot(page, "call-close-units-on-scene.png")
        assert Call.objects.get(pk=call.pk).status == "on_scene"
        page.select_option("#id_disposition", "stabilized")
        page.check("#id_confirm_units")
        page.get_by_role("button", name="Close anyway").click()
        expect(page.locator(".status-pill")).to_have_attribute("data-status", "closed", timeout=WAIT)
        unit = CallUnit.objects.get(call=call)
        assert unit.status == "cleared" and unit.on_scene_at is not None
        expect(row).to_have_count(0, timeout=WAIT)
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
