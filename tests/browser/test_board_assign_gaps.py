"""Issue 9: a manual assignment warns when the team lacks what the call needs, and takes an explicit confirm.

Chromium at 1440x900: a weapons call (co-response) that only a team without police pairing could take.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dispatch.models import Assignment
from programs.models import Program
from tests.conftest import CENTER, make_team
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


def test_assigning_a_team_without_police_pairing_to_a_weapons_call_needs_a_confirm(
    live_stack, chromium, dana, new_call
):
    from dispatch import services

    program = Program.objects.create(
        name="Community Responders",
        kind="community_responders",
        tiers=["community", "co_response"],
        pairs_with_law_enforcement=False,
        center_latitude=CENTER[0],
        center_longitude=CENTER[1],
        radius_km=50,
    )
    team, _ = make_team(
        "Team C", program, members=[("cy", "licensed_clinician", ["en"], []), ("cal", "peer_specialist", ["en"], [])]
    )
    call = off_loop(new_call, nature="Man waving a knife in his kitchen")
    off_loop(services.call_triage, call=call, screen={"weapons": True}, by=dana)

    desk = chromium.new_context(viewport=DESK_1440)
    try:
        board = desk.new_page()
        sign_in(board, live_stack.url, "dana")
        expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        row = board.locator(f'#calls tr[data-call="{call.pk}"]')
        expect(row).to_have_attribute("data-status", "awaiting_team", timeout=WAIT)
        row.click()
        form = board.locator("#detail form.reassign")
        expect(form.locator("#assign-team")).to_have_value(str(team.pk), timeout=WAIT)
        form.locator("#assign-reason").fill("Only team free; police meeting them there")
        form.get_by_role("button", name="Assign").click()

        warning = form.locator(".gap-warning")
        expect(warning).to_contain_text("Team C lacks what this call needs", timeout=WAIT)
        expect(warning).to_contain_text("Does not pair with law enforcement (co-response)")
        assert not Assignment.objects.filter(call=call).exists()
        screenshot(board, "board-assign-gaps.png")
        # Not confirmed: the browser refuses to submit, nothing is assigned.
        form.get_by_role("button", name="Assign anyway").click()
        board.wait_for_timeout(500)
        assert not Assignment.objects.filter(call=call).exists()
        form.locator("#assign-confirm").check()
        form.get_by_role("button", name="Assign anyway").click()
        expect(row).to_have_attribute("data-status", "assigned", timeout=WAIT)
        event = call.events.get(kind="call.assigned_manually")
        assert event.detail["confirmed_gaps"] == ["Does not pair with law enforcement (co-response)"]
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
