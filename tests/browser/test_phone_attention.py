"""Issue 9: the responder's phone (360 px) gets attention for an offer and keeps the SOS button in reach.

An offer plays a tone and vibrates (navigator.vibrate, recorded here by a stand-in, since a headless browser has
no motor); the screen is held awake while on shift (navigator.wakeLock, or a line saying it cannot be); on a call
the SOS button stays on screen while scrolling and never covers the step buttons.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.live_stack import ARTIFACTS, off_loop
from tests.support.strands import assert_no_call_strands

from .test_live_journeys import PHONE, SETTLE, WAIT, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

RECORD_VIBRATION = (
    "navigator.vibrate = (p) => { (window.__vibrations = window.__vibrations || []).push(p); return true; };"
)

SOS_IN_VIEW = """() => {
    const r = document.getElementById('sos').getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
}"""

# For each step button: scrolled to (as a thumb or Playwright would), is its centre the button, not the SOS bar?
STEPS_UNCOVERED = """() => [...document.querySelectorAll('[data-advance], #note-form button')].map(b => {
    b.scrollIntoView({block: 'nearest'});
    const r = b.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return [b.textContent, !!hit && b.contains(hit)];
})"""


def test_offer_rings_and_vibrates_screen_stays_on_and_sos_stays_in_reach(
    live_stack, chromium, dana, rita, team_a, new_call
):
    from dispatch import services

    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.add_init_script(RECORD_VIBRATION)
    try:
        mobile = phone.new_page()
        sign_in(mobile, live_stack.url, "rita")
        expect(mobile.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        # On shift (the fixture's Team A is available): the screen is held awake, or the phone says it cannot be.
        html = mobile.locator("html")
        expect(html).to_have_attribute("data-wake-lock", "held", timeout=WAIT)
        expect(mobile.locator("#location-line")).to_contain_text("screen kept on")
        mobile.tap("#idle")  # a touch, as a responder's would be, so the browser lets the tone play
        assert mobile.evaluate("window.crisisPhone.attention.offers") == 0

        call = off_loop(new_call, nature="Man pacing on a balcony", address="1200 W Lake St")
        off_loop(services.call_triage, call=call, screen={"intoxication": True}, by=dana)
        expect(mobile.locator("#offer")).to_contain_text("Man pacing on a balcony", timeout=WAIT)
        expect(html).to_have_attribute("data-offer-alerts", "1", timeout=WAIT)
        attention = mobile.evaluate("window.crisisPhone.attention")
        assert attention["sounded"] >= 1 and attention["vibrated"] >= 1
        assert mobile.evaluate("window.__vibrations")[0] == [400, 200, 400, 200, 400]
        # Not on a call yet: the SOS button sits in its own place.
        assert "on-call" not in (html.get_attribute("class") or "")

        mobile.locator("#accept").tap()
        expect(mobile.locator("#call-status")).to_have_attribute("data-status", "assigned", timeout=WAIT)
        expect(html).to_have_class("on-call")
        assert mobile.evaluate(SOS_IN_VIEW), "SOS not on screen at the top of a call"
        mobile.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        assert mobile.evaluate(SOS_IN_VIEW), "SOS not on screen at the bottom of a call"
        mobile.evaluate("window.scrollTo(0, 0)")
        for label, uncovered in mobile.evaluate(STEPS_UNCOVERED):
            assert uncovered, f"the SOS bar covers “{label}”"
        mobile.evaluate("window.scrollTo(0, 0)")
        # What the thumb sees (a full-page picture would unstick the bar): mid-call, scrolled to the steps.
        mobile.get_by_role("button", name="En route").scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        mobile.screenshot(path=str(ARTIFACTS / "phone-on-call-sticky-sos.png"))
        mobile.get_by_role("button", name="En route").tap()
        expect(mobile.locator("#call-status")).to_have_attribute("data-status", "en_route", timeout=WAIT)
        # The offer is over: no more ringing.
        assert mobile.evaluate("window.crisisPhone.attention.offers") == 1

        # Going off shift lets the screen sleep again (after the call: clear it first).
        off_loop(services.call_advance, call=call, to="on_scene", by=rita)
        off_loop(services.call_clear, call=call, disposition="stabilized", by=rita)
        expect(mobile.locator("#idle")).to_be_visible(timeout=WAIT)
        mobile.get_by_role("button", name="Go off shift").tap()
        expect(html).to_have_attribute("data-wake-lock", "off", timeout=WAIT)
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        phone.close()
