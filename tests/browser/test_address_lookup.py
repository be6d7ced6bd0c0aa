"""Issue 9: address lookup at the desk and in the field (crisis/geo, static/js/place.js and here.js).

The dispatcher (1440x900) types an address, picks a match with the keyboard and the call gets coordinates and a
team; a map click sets a position and names it; with the address service down the desk says so and the map
still sets the position. The officer's request (tablet 800x1280) carries the browser's position, in words.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from crisis.geo import geocoder
from crisis.geo.services import SAMPLE_CSV, addresses_load
from dispatch.models import Assignment, Call
from tests.conftest import CENTER
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

TABLET = {"width": 800, "height": 1280}


def load_sample():
    with SAMPLE_CSV.open(newline="") as lines:
        return addresses_load(lines=lines)


@pytest.fixture
def addresses(db):
    return off_loop(load_sample)


def csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def test_dispatcher_picks_an_address_with_the_keyboard_and_the_call_routes(
    live_stack, chromium, dana, team_a, addresses
):
    # Where "1202 W Washington St" is among the matches for "120", as the desk will see them (not the first).
    places = off_loop(geocoder.geocode, "120", limit=8)
    labels = [p.label for p in places]
    target = next(i for i, label in enumerate(labels) if label.startswith("1202 W Washington St,"))
    assert target >= 2
    place = places[target]
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        csp = csp_errors(page)
        sign_in(page, live_stack.url, "dana")
        page.goto(f"{live_stack.url}/dispatch/calls/new/")
        page.select_option("#id_source", "911")
        page.fill("#id_callback_number", "312-555-0188")
        page.fill("#id_person_description", "Man in his 40s, grey coat")
        page.locator("#id_address").press_sequentially("120", delay=30)
        options = page.locator("#place-list [role=option]")
        expect(options).to_have_count(len(labels), timeout=WAIT)
        expect(page.locator("#id_address")).to_have_attribute("aria-expanded", "true")
        expect(options.nth(0)).to_have_attribute("aria-selected", "true")
        for _ in range(target):
            page.keyboard.press("ArrowDown")
        expect(options.nth(target)).to_have_attribute("aria-selected", "true")
        screenshot(page, "intake-address-matches.png")
        page.keyboard.press("Enter")  # picks; does not submit the form
        expect(page.locator("#place-list")).to_be_hidden()
        expect(page.locator("#id_address")).to_have_value("1202 W Washington St")
        expect(page.locator("#id_latitude")).to_have_value(f"{place.latitude:.6f}")
        expect(page.locator("#id_longitude")).to_have_value(f"{place.longitude:.6f}")
        expect(page.locator("[data-place-status]")).to_contain_text(
            f"Position set from the address list: {place.label}"
        )
        assert re.search(r"/dispatch/calls/new/$", page.url)
        page.select_option("#id_call_type", "suicidal")
        page.fill("#id_nature", "Says he will jump from the roof")
        page.keyboard.press("Control+Enter")
        expect(page).to_have_url(re.compile(r"/dispatch/calls/\d+/$"), timeout=WAIT)
        call = Call.objects.get()
        assert (call.address, call.latitude, call.longitude) == (
            "1202 W Washington St",
            place.latitude,
            place.longitude,
        )
        page.check("input[name=si_thoughts]")
        page.check("input[name=si_method]")
        page.click("form.screen button[type=submit]")
        # The call has a position, so routing reaches the team nearby.
        expect(page.locator("body")).to_contain_text("Team A", timeout=WAIT)
        assert Assignment.objects.filter(call=call, team=team_a).exists()
        assert csp == []
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()


def test_a_map_click_sets_the_position_and_names_it(live_stack, chromium, dana, addresses):
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        page.goto(f"{live_stack.url}/dispatch/calls/new/")
        page.select_option("#id_source", "988")
        page.locator("#place-map").click()  # the middle of the map: the service area's centre
        status = page.locator("[data-place-status]")
        expect(status).to_contain_text("Position set on the map: near ", timeout=WAIT)
        lat, lon = float(page.input_value("#id_latitude")), float(page.input_value("#id_longitude"))
        assert lat == pytest.approx(CENTER[0], abs=0.002) and lon == pytest.approx(CENTER[1], abs=0.002)
        words = off_loop(geocoder.describe, lat, lon)
        expect(status).to_contain_text(words)
        # An empty address takes the words; the dispatcher can still change them.
        expect(page.locator("#id_address")).not_to_have_value("")
        expect(page.locator(".place-marker")).to_have_count(1)
        screenshot(page, "intake-map-click.png")
        assert_no_call_strands(settle_seconds=0)
    finally:
        desk.close()


def test_with_the_address_service_down_the_desk_says_so_and_the_map_still_works(live_stack, chromium, dana):
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        # What the server answers when its geocoder does not (tests/crisis/geo/test_api.py proves the 503).
        down = {
            "detail": "Address search is not answering. Type the address as told, and click the map.",
            "available": False,
        }
        page.route(
            re.compile(r".*/api/geocode/.*"),
            lambda route: route.fulfill(status=503, body=json.dumps(down), content_type="application/json"),
        )
        page.goto(f"{live_stack.url}/dispatch/calls/new/")
        page.select_option("#id_source", "911")
        page.fill("#id_person_description", "Woman, 30s, by the bus stop")
        page.locator("#id_address").press_sequentially("Union Park fieldhouse", delay=20)
        status = page.locator("[data-place-status]")
        expect(status).to_have_attribute("data-state", "down", timeout=WAIT)
        expect(status).to_have_attribute("role", "alert")
        expect(status).to_contain_text("Address search is down. Type the address as told, and click the map")
        page.locator("#place-map").click(position={"x": 60, "y": 60})
        expect(page.locator("#id_latitude")).not_to_have_value("")
        expect(page.locator("#id_address")).to_have_value("Union Park fieldhouse")  # what the caller said stays
        screenshot(page, "intake-geocoder-down.png")
        page.select_option("#id_call_type", "welfare_check")
        page.fill("#id_nature", "Confused, cannot say where she lives")
        page.keyboard.press("Control+Enter")
        expect(page).to_have_url(re.compile(r"/dispatch/calls/\d+/$"), timeout=WAIT)
        call = Call.objects.get()
        assert call.address == "Union Park fieldhouse" and call.latitude is not None and call.longitude is not None
        assert_no_call_strands(settle_seconds=0)
    finally:
        desk.close()


def test_an_officer_request_carries_the_tablets_position_in_words(live_stack, chromium, oli, addresses):
    tablet = chromium.new_context(
        viewport=TABLET,
        has_touch=True,
        geolocation={"latitude": 41.8861, "longitude": -87.6580, "accuracy": 12},  # ~44 m north of 1200 W Lake St
        permissions=["geolocation"],
    )
    try:
        page = tablet.new_page()
        csp = csp_errors(page)
        sign_in(page, live_stack.url, "oli")
        page.goto(f"{live_stack.url}/dispatch/officer/")
        here = page.locator("[data-here]")
        expect(here).to_have_attribute("data-state", "found", timeout=WAIT)
        expect(here).to_contain_text("Your position: near 1200 W Lake St (~40 m)", timeout=WAIT)
        expect(here).to_contain_text("±12 m")
        expect(page.locator("#id_address")).to_have_value("near 1200 W Lake St (~40 m)")
        page.fill("#id_person_description", "Man on the bridge rail")
        page.select_option("#id_call_type", "suicidal")
        page.fill("#id_nature", "Person at risk on bridge")
        screenshot(page, "officer-request-position.png")
        page.get_by_role("button", name="Send request").tap()
        expect(page.locator(".messages")).to_contain_text("sent to the crisis hub", timeout=WAIT)
        call = Call.objects.get()
        assert (call.source, call.latitude, call.longitude) == ("law_enforcement", 41.8861, -87.658)
        assert csp == []
        assert_no_call_strands(settle_seconds=0)
    finally:
        tablet.close()


def test_an_officer_who_refuses_location_is_told_to_type_the_address(live_stack, chromium, oli):
    tablet = chromium.new_context(viewport=TABLET, has_touch=True)  # no geolocation permission
    try:
        page = tablet.new_page()
        sign_in(page, live_stack.url, "oli")
        page.goto(f"{live_stack.url}/dispatch/officer/")
        here = page.locator("[data-here]")
        expect(here).to_have_attribute("data-state", "missing", timeout=WAIT)
        expect(here).to_contain_text("type the address where you are")
        expect(page.locator("#id_address")).to_be_focused()
        screenshot(page, "officer-request-no-position.png")
        assert_no_call_strands(settle_seconds=0)
    finally:
        tablet.close()


def test_the_board_names_each_teams_position_in_words(live_stack, chromium, dana, team_a, addresses):
    words = off_loop(geocoder.describe, team_a.latitude, team_a.longitude)
    assert words.startswith("near ")
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        page.goto(f"{live_stack.url}/dispatch/board/")
        row = page.locator(f'#teams tr[data-team="{team_a.pk}"]')
        expect(row.locator(".team-place")).to_have_text(words, timeout=WAIT)
        expect(row.locator(".position")).to_contain_text("ago")  # the age still ticks beside it
        assert_no_call_strands(settle_seconds=0)
    finally:
        desk.close()
