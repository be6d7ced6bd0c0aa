"""End-to-end, in Chromium, against uvicorn + a real Celery worker + PostgreSQL + Redis.

A dispatcher (desktop) and a responder (a 360 px phone) side by side: the
dispatcher takes and triages a call, the worker routes it, the phone shows
the offer without a reload, the responder accepts and taps through to clear,
and the board shows each change live. The reconnect test drops the board's
connection, changes things meanwhile, and checks that after reconnecting the
board equals a fresh page load.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.conftest import CENTER, PASSWORD, make_team
from tests.support.live_stack import ARTIFACTS, ROOT, off_loop
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

WAIT = 20_000  # ms: generous, a slow CI box must not flake
DESKTOP = {"width": 1400, "height": 900}
DESK_1440 = {"width": 1440, "height": 900}
# The stack sweeps every 5 s: routing already on its way lands within this.
SETTLE = 12
PHONE = {"width": 360, "height": 740}


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def board_rows(page) -> dict:
    """What the board shows, row by row, without the ticking clocks."""
    return page.evaluate(
        """() => {
            const text = (sel) => [...document.querySelectorAll(sel)].map(tr => {
                const copy = tr.cloneNode(true);
                copy.querySelectorAll('.clock, .countdown, .std, [data-reported]').forEach(el => el.remove());
                return copy.innerText.replace(/\\s+/g, ' ').trim();
            });
            return {
                calls: [...document.querySelectorAll('#calls tr[data-call]')].map(tr => tr.dataset.sig),
                teams: [...document.querySelectorAll('#teams tr[data-team]')].map(tr => tr.dataset.sig),
                call_text: text('#calls tr'),
                team_text: text('#teams tr'),
                alerts: [...document.querySelectorAll('#alerts [data-alert]')].map(el => el.dataset.alert),
                markers: document.querySelectorAll('.leaflet-marker-icon.team-marker, path.call-marker').length,
            };
        }"""
    )


def api(stack, token: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(  # noqa: S310 (our own test server)
        stack.url + path,
        method=method,
        data=json.dumps(body or {}).encode() if method != "GET" else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.fixture
def people(dana, team_a):
    team_a.refresh_from_db()
    from crisis.models import User

    return {"dana": dana, "rita": User.objects.get(username="rita"), "team_a": team_a}


def test_call_from_intake_to_clear_live_on_board_and_phone(live_stack, chromium, people):
    base = live_stack.url
    desk = chromium.new_context(viewport=DESKTOP)
    phone = chromium.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": CENTER[0] + 0.012, "longitude": CENTER[1] + 0.004},
        permissions=["geolocation"],
    )
    try:
        board = desk.new_page()
        sign_in(board, base, "dana")
        expect(board).to_have_url(f"{base}/dispatch/board/", timeout=WAIT)
        expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        # The map draws team markers from the project's own Leaflet even though no tile can load here.
        expect(board.locator(".leaflet-marker-icon.team-marker")).to_have_count(1, timeout=WAIT)

        mobile = phone.new_page()
        sign_in(mobile, base, "rita")
        expect(mobile).to_have_url(f"{base}/responder/", timeout=WAIT)
        expect(mobile.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        expect(mobile.locator("#team-status")).to_have_attribute("data-status", "available")
        expect(mobile.locator("#location-line")).to_contain_text("last sent", timeout=WAIT)
        expect(mobile.locator("#location-line")).not_to_contain_text("not yet", timeout=WAIT)

        # The dispatcher takes the call on the intake page (a second tab) and triages it.
        intake = desk.new_page()
        intake.goto(f"{base}/dispatch/calls/new/")
        intake.select_option("#id_source", "911")
        intake.fill("#id_caller_name", "Neighbor")
        intake.fill("#id_callback_number", "312-555-0101")
        intake.fill("#id_person_description", "Man in his 40s, red jacket")
        intake.fill("#id_address", "1200 W Lake St")
        intake.fill("#id_latitude", str(CENTER[0]))
        intake.fill("#id_longitude", str(CENTER[1]))
        intake.select_option("#id_call_type", "mental_health")
        intake.fill("#id_nature", "Shouting, says he has a knife")
        intake.fill(
            "#id_narrative", "Caller heard shouting next door; man says he has a knife and wants to be left alone."
        )
        intake.click("#intake button[type=submit]")
        expect(intake).to_have_url(re.compile(r"/dispatch/calls/\d+/$"), timeout=WAIT)
        call_id = int(intake.url.rstrip("/").split("/")[-1])

        row = board.locator(f'#calls tr[data-call="{call_id}"]')
        expect(row).to_have_attribute("data-status", "received", timeout=WAIT)
        # The call is answered once it exists: the NENA 15 s answer figure is the board's, from ring to answer
        # (dispatch/telephony.py), not a clock on the row.
        expect(board.locator("#answer-figure")).to_contain_text("Answer ≤ 15 s today")

        intake.check("input[name=weapons]")
        intake.check("input[name=intoxication]")
        intake.click("form.screen button[type=submit]")

        # The worker routes it: the board shows the offer with its countdown...
        expect(row.locator("td.team")).to_contain_text("Team A", timeout=WAIT)
        expect(row.locator(".countdown")).to_contain_text("left", timeout=WAIT)
        # ...and, triaged, the call runs against the dispatch and arrival standards.
        expect(row.locator(".std")).to_contain_text(re.compile(r"Dispatched within 60 s|Team on scene"), timeout=WAIT)
        expect(board.locator(f'#teams tr[data-team="{people["team_a"].pk}"]')).to_have_attribute(
            "data-status", "offered", timeout=WAIT
        )
        # ... and the phone shows it without a reload, weapons flagged first.
        offer = mobile.locator("#offer")
        expect(offer).to_be_visible(timeout=WAIT)
        expect(offer).to_contain_text(f"#{call_id}")
        expect(offer.locator(".flag-item.danger").first).to_contain_text("Weapons")
        expect(offer.locator(".countdown")).to_contain_text("to answer")
        screenshot(mobile, "phone-offer.png")

        mobile.click("#accept")
        card = mobile.locator("#assignment")
        expect(card).to_be_visible(timeout=WAIT)
        expect(card.locator("a.tel")).to_have_attribute("href", "tel:3125550101")
        expect(card.locator("a.maps")).to_have_attribute("href", re.compile(r"^geo:"))
        expect(row).to_have_attribute("data-status", "assigned", timeout=WAIT)

        for label, status in (("En route", "en_route"), ("On scene", "on_scene")):
            mobile.get_by_role("button", name=label, exact=True).click()
            expect(mobile.locator("#call-status")).to_have_attribute("data-status", status, timeout=WAIT)
            expect(row).to_have_attribute("data-status", status, timeout=WAIT)
        expect(board.locator(f'#teams tr[data-team="{people["team_a"].pk}"]')).to_have_attribute(
            "data-status", "on_scene", timeout=WAIT
        )
        mobile.fill("#note-text", "Calm now, talking with the clinician.")
        mobile.click("#note-form button[type=submit]")
        expect(card.locator(".note-list")).to_contain_text("Calm now", timeout=WAIT)
        expect(mobile.locator("#queue-line")).to_be_hidden(timeout=WAIT)
        screenshot(mobile, "phone-on-scene.png")
        # The routing decision, explained, for the selected call.
        row.click()
        expect(board.locator("#detail")).to_contain_text("Router chose Team A", timeout=WAIT)
        # On scene, the server refuses a reassignment; the row says so and the board offers no form that would fail.
        expect(board.locator("#detail form.reassign")).to_have_count(0)
        screenshot(board, "board-on-scene.png")

        mobile.select_option("#disposition", "stabilized")
        mobile.click("#clear")
        expect(row).to_have_count(0, timeout=WAIT)
        expect(board.locator(f'#teams tr[data-team="{people["team_a"].pk}"]')).to_have_attribute(
            "data-status", "available", timeout=WAIT
        )
        expect(mobile.locator("#idle")).to_be_visible(timeout=WAIT)

        from dispatch.models import Call

        call = Call.objects.get(pk=call_id)
        assert (call.status, call.disposition) == ("closed", "stabilized")
        assert [e.kind for e in call.events.filter(kind__in=("call.en_route", "call.on_scene", "call.note"))] == [
            "call.en_route",
            "call.on_scene",
            "call.note",
        ]
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
        phone.close()


def test_sos_reaches_the_board_until_acknowledged(live_stack, chromium, people):
    base = live_stack.url
    desk = chromium.new_context(viewport=DESKTOP)
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        board = desk.new_page()
        sign_in(board, base, "dana")
        expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        mobile = phone.new_page()
        sign_in(mobile, base, "rita")
        expect(mobile.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)

        mobile.click("#sos")
        mobile.click("#sos-send")
        expect(mobile.locator("#sos-status")).to_contain_text("dispatch alerted", timeout=WAIT)
        alert = board.locator("#alerts .sos")
        expect(alert).to_contain_text("SOS · Team A", timeout=WAIT)
        screenshot(board, "board-sos.png")

        alert.get_by_role("button", name="Acknowledge").click()
        expect(alert).to_have_count(0, timeout=WAIT)
        expect(mobile.locator("#sos-status")).to_contain_text("acknowledged", timeout=WAIT)
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
        phone.close()


def test_board_resyncs_after_reconnect_and_equals_a_fresh_load(live_stack, chromium, people, mobile_crisis, new_call):
    from dispatch import services
    from tests.factories import api_token

    team_b, _ = make_team(
        "Team B", mobile_crisis, offset=(0.05, 0.0), members=[("bo", "licensed_clinician", ["en"], [])]
    )
    waiting = new_call(nature="Waiting call")
    doomed = new_call(nature="Caller hung up")
    token = api_token(people["dana"])

    base = live_stack.url
    desk = chromium.new_context(viewport=DESKTOP)
    try:
        board = desk.new_page()
        sign_in(board, base, "dana")
        conn = board.locator("#conn")
        expect(conn).to_have_attribute("data-state", "live", timeout=WAIT)
        expect(board.locator("#calls tr[data-call]")).to_have_count(2, timeout=WAIT)
        syncs_before = board.evaluate("window.crisisBoard.live.syncCount")

        # Drop the connection: the page must say so plainly.
        desk.set_offline(True)
        board.evaluate("window.crisisBoard.live.ws && window.crisisBoard.live.ws.close()")
        expect(conn).to_have_attribute("data-state", "offline", timeout=WAIT)
        expect(conn).to_contain_text("Offline since")

        # Meanwhile, through the API: a new call is triaged and routed by the worker, one is
        # cancelled, a team goes out of service.
        created = api(
            live_stack,
            token,
            "POST",
            "/api/calls/",
            {
                "source": "911",
                "address": "300 N State St",
                "call_type": "mental_health",
                "nature": "Pacing in traffic",
                "person_description": "Woman, 20s",
                "latitude": CENTER[0] + 0.01,
                "longitude": CENTER[1],
            },
        )
        api(live_stack, token, "POST", f"/api/calls/{created['id']}/triage/", {"intoxication": True})
        api(live_stack, token, "POST", f"/api/calls/{doomed.pk}/cancel/", {"reason": "Caller hung up"})
        api(live_stack, token, "POST", f"/api/teams/{team_b.pk}/status/", {"status": "out_of_service"})
        off_loop(services.call_add_note, call=waiting, by=people["dana"], text="still on the line")
        # Wait for the worker to offer the routed call before reconnecting.
        from dispatch.models import Assignment

        for _ in range(200):
            if Assignment.objects.filter(call_id=created["id"], status="offered").exists():
                break
            board.wait_for_timeout(100)
        assert Assignment.objects.filter(call_id=created["id"], status="offered").exists(), live_stack.log("worker")[
            -3000:
        ]
        # Nothing reached the board while it was offline.
        assert board.locator(f'#calls tr[data-call="{created["id"]}"]').count() == 0

        desk.set_offline(False)
        expect(conn).to_have_attribute("data-state", "live", timeout=WAIT)
        assert board.evaluate("window.crisisBoard.live.syncCount") > syncs_before
        expect(board.locator(f'#calls tr[data-call="{created["id"]}"] td.team')).to_contain_text(
            "offered", timeout=WAIT
        )
        expect(board.locator(f'#calls tr[data-call="{doomed.pk}"]')).to_have_count(0)

        fresh = desk.new_page()
        fresh.goto(f"{base}/dispatch/board/")
        expect(fresh.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        expected = board_rows(fresh)
        assert len(expected["calls"]) == 2 and len(expected["teams"]) == 2
        # Poll: the two pages must converge on the same rows.
        for _ in range(100):
            if board_rows(board) == expected:
                break
            board.wait_for_timeout(100)
        assert board_rows(board) == expected
        screenshot(board, "board-after-reconnect.png")

        # A gap in the numbers (a message lost on a live socket) also sends the board back to a snapshot.
        syncs = board.evaluate("window.crisisBoard.live.syncCount")
        board.evaluate("window.crisisBoard.live.lastSeq['dispatch.central'] -= 1")
        api(live_stack, token, "POST", f"/api/calls/{waiting.pk}/notes/", {"text": "any event will do"})
        # A function, not an expression: Playwright evals an expression in the page, which the CSP forbids.
        board.wait_for_function("(n) => window.crisisBoard.live.syncCount > n", arg=syncs, timeout=WAIT)
        expect(conn).to_have_attribute("data-state", "live", timeout=WAIT)
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()


@pytest.fixture(autouse=True, scope="module")
def _publish_screenshots():
    """With UPDATE_SCREENSHOTS=1, copy the journey's screenshots next to the README (docs/screenshots/)."""
    yield
    if os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return
    docs = ROOT / "docs" / "screenshots"
    for src, dst in (("board-on-scene.png", "board.png"), ("phone-on-scene.png", "phone.png")):
        if (ARTIFACTS / src).exists():
            docs.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ARTIFACTS / src, docs / dst)


def test_offline_taps_are_queued_replayed_in_order_and_a_stale_one_is_refused(live_stack, chromium, people, new_call):
    from dispatch import services
    from dispatch.models import Call

    dana, team_a = people["dana"], people["team_a"]
    call = new_call(nature="Quiet, needs a check")
    # Triaged for the phone tier (so no router races us), then sent by hand.
    services.call_triage(call=call, screen={"phone_engaged": True}, by=dana)
    # A field team for a phone-tier call: the desk confirms the gap (tests/browser/test_board_assign_gaps.py).
    services.call_assign(call=call, team=team_a, by=dana, reason="closest, by hand", confirm_gaps=True)

    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        mobile = phone.new_page()
        sign_in(mobile, live_stack.url, "rita")
        expect(mobile.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        status = mobile.locator("#call-status")
        expect(status).to_have_attribute("data-status", "assigned", timeout=WAIT)

        phone.set_offline(True)
        expect(mobile.locator("#conn")).to_have_attribute("data-state", "offline", timeout=WAIT)
        mobile.get_by_role("button", name="En route", exact=True).click()
        expect(status).to_have_attribute("data-status", "en_route")
        mobile.get_by_role("button", name="On scene", exact=True).click()
        expect(mobile.locator("#queue-line")).to_contain_text("2 changes waiting", timeout=WAIT)
        expect(mobile.locator("#queue-line")).to_contain_text("(offline)")
        assert Call.objects.get(pk=call.pk).status == "assigned"

        phone.set_offline(False)
        expect(mobile.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        expect(mobile.locator("#queue-line")).to_be_hidden(timeout=WAIT)
        expect(status).to_have_attribute("data-status", "on_scene", timeout=WAIT)
        assert Call.objects.get(pk=call.pk).status == "on_scene"
        kinds = list(call.events.filter(kind__in=("call.en_route", "call.on_scene")).values_list("kind", flat=True))
        assert kinds == ["call.en_route", "call.on_scene"]

        # Offline again; meanwhile the dispatcher closes the call. The queued tap is refused, plainly.
        phone.set_offline(True)
        expect(mobile.locator("#conn")).to_have_attribute("data-state", "offline", timeout=WAIT)
        # Transporting asks where to (the server refuses it without a destination).
        mobile.once("dialog", lambda dialog: dialog.accept("Mercy ED"))
        mobile.get_by_role("button", name="Transporting", exact=True).click()
        expect(mobile.locator("#queue-line")).to_contain_text("1 change waiting", timeout=WAIT)
        off_loop(services.call_close, call=call, disposition="stabilized", by=dana)
        phone.set_offline(False)
        message = mobile.locator("#message")
        expect(message).to_contain_text("“Transporting” was not applied", timeout=WAIT)
        expect(message).to_contain_text("the call is now closed")
        expect(mobile.locator("#idle")).to_be_visible(timeout=WAIT)
        assert Call.objects.get(pk=call.pk).status == "closed"
        expect(mobile.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        screenshot(mobile, "phone-stale-tap-refused.png")
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        phone.close()


def test_dispatcher_reassigns_from_the_routing_panel(live_stack, chromium, people, mobile_crisis, new_call):
    from dispatch import services

    dana, team_a = people["dana"], people["team_a"]
    # Two members: a one-person team is a gap the desk would have to confirm (test_board_assign_gaps.py).
    team_b, _ = make_team(
        "Team B", mobile_crisis, offset=(0.05, 0.0), members=[("bo", "emt", ["en"], []), ("eli", "emt", ["en"], [])]
    )
    call = off_loop(new_call, nature="Needs the EMT team")
    off_loop(services.call_triage, call=call, screen={"intoxication": True}, by=dana)  # routed: offered to Team A

    desk = chromium.new_context(viewport=DESKTOP)
    try:
        board = desk.new_page()
        sign_in(board, live_stack.url, "dana")
        expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        row = board.locator(f'#calls tr[data-call="{call.pk}"]')
        expect(row.locator("td.team")).to_contain_text("Team A", timeout=WAIT)
        row.click()
        detail = board.locator("#detail")
        expect(detail).to_contain_text("Router chose Team A", timeout=WAIT)
        detail.locator("#assign-team").select_option(str(team_b.pk))
        detail.locator("#assign-reason").fill("EMT needed on scene")
        detail.locator("form.reassign button[type=submit]").click()

        expect(row).to_have_attribute("data-status", "assigned", timeout=WAIT)
        expect(row.locator("td.team")).to_have_text("Team B", timeout=WAIT)
        expect(board.locator(f'#teams tr[data-team="{team_a.pk}"]')).to_have_attribute(
            "data-status", "available", timeout=WAIT
        )
        expect(board.locator(f'#teams tr[data-team="{team_b.pk}"]')).to_have_attribute(
            "data-status", "assigned", timeout=WAIT
        )
        call.refresh_from_db()
        assert call.team_id == team_b.pk
        assert call.events.filter(kind="call.assigned_manually", actor=dana).exists()
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()


def test_responder_declines_with_a_reason(live_stack, chromium, people, new_call):
    from dispatch import services
    from dispatch.models import Assignment

    call = off_loop(new_call, nature="Across town")
    off_loop(services.call_triage, call=call, screen={"intoxication": True}, by=people["dana"])  # offered to Team A

    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        mobile = phone.new_page()
        sign_in(mobile, live_stack.url, "rita")
        offer = mobile.locator("#offer")
        expect(offer).to_contain_text(f"#{call.pk}", timeout=WAIT)
        mobile.click("#decline")
        mobile.select_option("#decline-reason", "other")
        mobile.fill("#decline-other", "Vehicle has a flat tyre")
        mobile.click("#decline-send")
        expect(offer).to_be_hidden(timeout=WAIT)
        expect(mobile.locator("#idle")).to_be_visible(timeout=WAIT)
        assignment = Assignment.objects.get(call=call)
        assert (assignment.status, assignment.decline_reason) == ("declined", "Vehicle has a flat tyre")
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        phone.close()


def test_dispatcher_pulls_back_a_team_then_withdraws_an_offer(live_stack, chromium, people, mobile_crisis, new_call):
    """Issue 9: "withdraw it first" was a dead end with no control. At 1440x900, from the board's call detail."""
    from dispatch import services
    from dispatch.models import Assignment, Call

    dana, rita, team_a = people["dana"], people["rita"], people["team_a"]
    team_b, _ = make_team(
        "Team B",
        mobile_crisis,
        offset=(0.05, 0.0),
        members=[("bo", "licensed_clinician", ["en"], []), ("eli", "emt", ["en"], [])],
    )
    call = off_loop(new_call, nature="Man on a bridge railing")
    off_loop(services.call_triage, call=call, screen={"intoxication": True}, by=dana)  # offered to Team A
    offer = Assignment.objects.get(call=call, status="offered")
    assert offer.team_id == team_a.pk
    off_loop(services.assignment_accept, assignment=offer, by=rita)

    desk = chromium.new_context(viewport=DESK_1440)
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        mobile = phone.new_page()
        sign_in(mobile, live_stack.url, "rita")
        expect(mobile.locator("#call-status")).to_have_attribute("data-status", "assigned", timeout=WAIT)

        board = desk.new_page()
        sign_in(board, live_stack.url, "dana")
        expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        row = board.locator(f'#calls tr[data-call="{call.pk}"]')
        expect(row).to_have_attribute("data-status", "assigned", timeout=WAIT)
        row.click()
        detail = board.locator("#detail")
        pull = detail.locator("form.withdraw")
        expect(pull).to_contain_text("Pull back team (Team A)", timeout=WAIT)
        pull.locator("#withdraw-reason").fill("Team A needed at a P1 nearby")
        screenshot(board, "board-pull-back.png")
        pull.locator("button[type=submit]").click()

        # Team A is free (board and phone); the worker offers the call to Team B, not back to Team A.
        expect(board.locator(f'#teams tr[data-team="{team_a.pk}"]')).to_have_attribute(
            "data-status", "available", timeout=WAIT
        )
        expect(mobile.locator("#idle")).to_be_visible(timeout=WAIT)
        expect(row.locator("td.team")).to_contain_text("Team B", timeout=WAIT)
        expect(row.locator("td.team")).to_contain_text("offered")

        # Now withdraw that offer too: both teams cool down, and the row says why and since when.
        expect(detail.locator("form.withdraw")).to_contain_text("Withdraw offer (Team B)", timeout=WAIT)
        detail.locator("#withdraw-reason").fill("Caller asks for a female clinician")
        detail.locator("form.withdraw button[type=submit]").click()
        waiting = row.locator(".waiting-reason")
        expect(waiting).to_contain_text("No eligible team free: 2 withdrawn by dispatch (cool-down until", timeout=WAIT)
        expect(waiting).to_contain_text("since")
        expect(detail.locator("p.waiting-reason")).to_contain_text("2 withdrawn by dispatch", timeout=WAIT)
        expect(detail.locator("form.withdraw")).to_have_count(0)
        expect(detail.locator("form.resolve")).to_be_visible()
        # The worker's first heartbeat comes one interval after it starts: wait for it before the picture.
        expect(board.locator("#routing-paused")).to_be_hidden(timeout=WAIT)
        screenshot(board, "board-withdrawn.png")

        # Resolve it by phone from the same panel.
        detail.locator("#resolve-note").fill("Talked it through; safety plan agreed")
        detail.locator("form.resolve button[type=submit]").click()
        # Resolved by phone is the end of the call: it closes and leaves the board.
        expect(row).to_have_count(0, timeout=WAIT)

        refreshed = Call.objects.get(pk=call.pk)
        assert (refreshed.status, refreshed.disposition) == ("closed", "resolved_by_phone")
        kinds = list(refreshed.events.values_list("kind", flat=True))
        assert "call.pulled_back" in kinds and "call.offer_withdrawn" in kinds
        statuses = dict(Assignment.objects.filter(call=call).values_list("team__name", "status"))
        assert statuses == {"Team A": "recalled", "Team B": "recalled"}
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
        phone.close()


def test_a_half_typed_reason_survives_live_redraws(live_stack, chromium, people, mobile_crisis, new_call):
    """Every event on the selected call redraws its detail. A dispatcher half-way through typing why they pull a team
    back keeps the text and the caret through an event, and through a load that failed (the form gone for a moment);
    the next team's offer starts with an empty reason. At 1440x900."""
    from dispatch import services
    from dispatch.models import Assignment, CallUnit

    dana, rita = people["dana"], people["rita"]
    make_team(
        "Team B",
        mobile_crisis,
        offset=(0.05, 0.0),
        members=[("bo", "licensed_clinician", ["en"], []), ("eli", "emt", ["en"], [])],
    )
    call = off_loop(new_call, nature="Woman shouting in a laundromat")
    off_loop(services.call_triage, call=call, screen={"intoxication": True}, by=dana)
    off_loop(services.assignment_accept, assignment=Assignment.objects.get(call=call, status="offered"), by=rita)

    desk = chromium.new_context(viewport=DESK_1440)
    try:
        board = desk.new_page()
        sign_in(board, live_stack.url, "dana")
        expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        row = board.locator(f'#calls tr[data-call="{call.pk}"]')
        expect(row).to_have_attribute("data-status", "assigned", timeout=WAIT)
        row.click()
        detail = board.locator("#detail")
        reason = detail.locator("#withdraw-reason")
        expect(detail.locator("form.withdraw")).to_contain_text("Pull back team (Team A)", timeout=WAIT)
        reason.click()
        board.keyboard.type("Team A needed")

        # Police add a unit to the call elsewhere: the detail redraws with it, the text and the caret stay.
        off_loop(services.unit_add, call=call, agency="police", unit="4A12", by=dana)
        expect(detail.locator("ul.units")).to_contain_text("4A12", timeout=WAIT)
        expect(reason).to_have_value("Team A needed")
        expect(reason).to_be_focused()
        board.keyboard.type(" at a P1")  # a "c" or "a" here would be a board shortcut if the caret were lost
        expect(reason).to_have_value("Team A needed at a P1")

        # The next load fails (the form is gone: "offline"); the one after brings the form back with the text.
        board.route(f"**/api/calls/{call.pk}/", lambda route: route.abort())
        unit = CallUnit.objects.get(call=call)
        off_loop(services.unit_set_status, unit=unit, status="en_route", by=dana)
        expect(detail).to_contain_text("Could not load the call: offline.", timeout=WAIT)
        board.unroute(f"**/api/calls/{call.pk}/")
        off_loop(services.unit_set_status, unit=CallUnit.objects.get(pk=unit.pk), status="on_scene", by=dana)
        expect(detail.locator("form.withdraw")).to_contain_text("Pull back team (Team A)", timeout=WAIT)
        expect(reason).to_have_value("Team A needed at a P1")
        screenshot(board, "board-draft-kept.png")

        detail.locator("form.withdraw button[type=submit]").click()
        expect(detail.locator("form.withdraw")).to_contain_text("Withdraw offer (Team B)", timeout=WAIT)
        expect(reason).to_have_value("")
        pulled = call.events.get(kind="call.pulled_back")
        assert pulled.detail["reason"] == "Team A needed at a P1", pulled.detail
        off_loop(services.unit_set_status, unit=CallUnit.objects.get(pk=unit.pk), status="cleared", by=dana)
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
