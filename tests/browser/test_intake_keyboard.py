"""Issue 9: intake and the risk screen on one page, keyboard-first (dispatch/intake.html, static/js/intake.js).

A dispatcher at 1440x900 takes a typical suicide-risk call from the board's new-call shortcut to the offer on the
board, counting every keystroke and click sent (a fill or typed text counts one per character). The issue's aim:
under 60 keystrokes and at most 3 clicks. The counts are printed (pytest -s shows them).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from crisis.geo import geocoder
from dispatch.models import Assignment, Call
from tests.support.live_stack import ARTIFACTS, off_loop
from tests.support.strands import assert_no_call_strands

from .test_address_lookup import load_sample
from .test_live_journeys import DESK_1440, SETTLE, WAIT, screenshot, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

KEYSTROKE_AIM = 60  # fewer than
CLICK_AIM = 3  # at most


class Counted:
    """Every input the test sends, counted: a key press or chord is one keystroke, text one per character."""

    def __init__(self, page):
        self.page = page
        self.keys = 0
        self.clicks = 0

    def press(self, key: str) -> None:
        self.keys += 1
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.keys += len(text)
        self.page.keyboard.type(text)

    def fill(self, locator, text: str) -> None:
        self.keys += len(text)
        locator.fill(text)

    def click(self, locator) -> None:
        self.clicks += 1
        locator.click()


def in_view(page, selector: str, *, at_least: int = 300) -> bool:
    """The element's top is on screen with `at_least` pixels of it (or all of it) above the fold, unscrolled."""
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], at_least) <= DESK_1440["height"]


def test_a_suicide_risk_call_from_the_shortcut_to_the_offer_by_keyboard(live_stack, chromium, dana, team_a):
    off_loop(load_sample)
    typed = "1202 W Wa"
    match = off_loop(geocoder.geocode, typed, limit=8)[0]  # the first match is highlighted; Enter picks it
    street = match.label.split(",")[0]
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        # Earlier in the shift this desk took a 988 call: the source is remembered in this browser.
        page.goto(f"{live_stack.url}/dispatch/calls/new/")
        expect(page.locator("#id_source")).to_be_focused()
        page.select_option("#id_source", "988")
        page.goto(f"{live_stack.url}/dispatch/board/")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)

        desk_input = Counted(page)
        desk_input.press("Alt+KeyN")
        expect(page).to_have_url(re.compile(r"/dispatch/calls/new/$"), timeout=WAIT)
        expect(page.locator("#id_source")).to_have_value("988")
        expect(page.locator("#id_callback_number")).to_be_focused()  # past the remembered source
        desk_input.type("3125550188")
        desk_input.press("Tab")
        expect(page.locator("#id_address")).to_be_focused()
        desk_input.type(typed)
        expect(page.locator("#place-list [role=option]").first).to_have_attribute("aria-selected", "true", timeout=WAIT)
        desk_input.press("Enter")  # picks the match; does not submit
        expect(page.locator("#id_address")).to_have_value(street)
        expect(page.locator("#id_latitude")).to_have_value(f"{match.latitude:.6f}")
        desk_input.press("Tab")
        expect(page.locator("#id_person_description")).to_be_focused()
        desk_input.type("Man, 30s")
        desk_input.press("Tab")
        desk_input.type("s")  # a list jumps to the first option with the letters typed
        expect(page.locator("#id_call_type")).to_have_value("suicidal")
        desk_input.press("Tab")
        desk_input.type("Has pills")
        # The Columbia items: wish to be dead, thoughts, a method.
        desk_input.press("Alt+KeyS")
        expect(page.locator("#id_si_wish_dead")).to_be_focused()
        for step in (" ", "Tab", " ", "Tab", " "):
            desk_input.press("Space" if step == " " else step)
        # Danger now: not at the means this minute, but the pills are at hand.
        desk_input.press("Alt+KeyR")
        expect(page.locator("#id_imminent_danger")).to_be_focused()
        desk_input.press("Tab")
        desk_input.type("y")
        expect(page.locator("#id_lethal_means")).to_have_value("true")
        # Who is calling: the person themself.
        desk_input.press("Alt+KeyW")
        desk_input.type("t")
        expect(page.locator("#id_caller_relation")).to_have_value("self")
        screenshot(page, "intake-keyboard-screen.png")
        desk_input.press("Control+Enter")

        expect(page).to_have_url(re.compile(r"/dispatch/board/\?call=\d+$"), timeout=WAIT)
        call = Call.objects.get()
        detail = page.locator("#detail")
        expect(detail).to_contain_text(f"Call #{call.pk}", timeout=WAIT)
        expect(detail).to_contain_text("Team A", timeout=WAIT)
        expect(page.locator(f'#calls tr[data-call="{call.pk}"]')).to_have_class(re.compile(r"\bselected\b"))
        assert in_view(page, "#detail"), "the selected call's panel is in view at 1440x900"
        page.screenshot(path=str(ARTIFACTS / "intake-keyboard-offer.png"))  # the viewport: what the desk sees

        keys, clicks = desk_input.keys, desk_input.clicks
        print(f"\nTypical suicide-risk call, shortcut to offer: {keys} keystrokes, {clicks} clicks")
        assert desk_input.keys < KEYSTROKE_AIM
        assert desk_input.clicks <= CLICK_AIM

        # One submit made the call, its screen and its offer, through the same service as the API.
        assert (call.source, call.call_type, call.address, call.nature) == ("988", "suicidal", street, "Has pills")
        screen = call.triages.get()
        columbia = (screen.si_wish_dead, screen.si_thoughts, screen.si_method, screen.si_intent)
        assert columbia == (True, True, True, False)
        assert (screen.imminent_danger, screen.lethal_means, screen.caller_relation) == (None, True, "self")
        assert Assignment.objects.filter(call=call, team=team_a, status="offered").exists()
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()


def test_bad_input_on_the_intake_page_is_shown_and_nothing_is_saved(live_stack, chromium, dana, team_a):
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        page.goto(f"{live_stack.url}/dispatch/calls/new/")
        page.select_option("#id_source", "911")
        page.fill("#id_nature", "Threatening to jump")
        page.check("#id_si_thoughts")
        page.select_option("#id_tier_override", "community")  # without a reason
        page.keyboard.press("Control+Enter")
        expect(page.locator("#id_person_description-error")).to_contain_text("describe the person", timeout=WAIT)
        expect(page.locator(".intake-screen .error")).to_contain_text("Give a reason for overriding the tier.")
        # What was typed and ticked is still there to correct.
        expect(page.locator("#id_nature")).to_have_value("Threatening to jump")
        expect(page.locator("#id_si_thoughts")).to_be_checked()
        screenshot(page, "intake-errors.png")
        assert Call.objects.count() == 0
        assert_no_call_strands(settle_seconds=0)
    finally:
        desk.close()
