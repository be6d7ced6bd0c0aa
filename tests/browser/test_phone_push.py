"""Issue 9: offer notifications through a service worker on the responder's phone (360 px).

The server side (subscription API, encrypted VAPID-signed sending) is tested in tests/dispatch/test_push.py
against a local push service. Here, in Chromium: the phone page registers static/js/sw.js and offers to turn
notifications on, and a push message delivered to that worker (through the DevTools protocol, standing in for
the browser's push service) shows the offer as a notification that a tap brings back to the phone page.
"""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from tests.support.live_stack import ARTIFACTS
from tests.support.strands import assert_no_call_strands

from .test_live_journeys import PHONE, SETTLE, WAIT, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def vapid_env(monkeypatch):
    """VAPID keys in the environment the live stack starts with (set before live_stack reads it)."""
    from dispatch.management.commands.webpush_keys import new_key_pair

    public, private = new_key_pair()
    monkeypatch.setenv("WEBPUSH_VAPID_PUBLIC_KEY", public)
    monkeypatch.setenv("WEBPUSH_VAPID_PRIVATE_KEY", private)
    monkeypatch.setenv("WEBPUSH_VAPID_SUBJECT", "mailto:ops@example.org")
    return public


def test_phone_registers_the_worker_and_a_pushed_offer_shows_as_a_notification(
    vapid_env, live_stack, chromium, rita, team_a
):
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.grant_permissions(["notifications"], origin=live_stack.url)
    try:
        mobile = phone.new_page()
        sign_in(mobile, live_stack.url, "rita")
        expect(mobile.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        box = mobile.locator("#push-box")
        expect(box).to_have_attribute("data-state", "off", timeout=WAIT)
        expect(box).to_contain_text("Offer notifications are off")
        expect(mobile.locator("#push-on")).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        mobile.screenshot(path=str(ARTIFACTS / "phone-push-off.png"))

        cdp = phone.new_cdp_session(mobile)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        mobile.wait_for_function(
            "navigator.serviceWorker.getRegistration('/static/js/').then(r => !!(r && r.active))", timeout=WAIT
        )
        mobile.wait_for_timeout(200)
        ours = [r for r in registrations if r["scopeURL"].endswith("/static/js/") and not r["isDeleted"]]
        assert ours, registrations
        payload = {
            "title": "P1 call #7 offered to Team A",
            "body": "Answer within 3 min.",
            "url": "/responder/",
            "tag": "offer-7",
        }
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": live_stack.url, "registrationId": ours[0]["registrationId"], "data": json.dumps(payload)},
        )
        # Polled from here: the worker shows the notification some time after the push is delivered.
        shown, deadline = None, time.monotonic() + WAIT / 1000
        while shown is None and time.monotonic() < deadline:
            shown = mobile.evaluate(
                """async () => {
                    const r = await navigator.serviceWorker.getRegistration('/static/js/');
                    const ns = r ? await r.getNotifications() : [];
                    return ns.length ? ns.map(n => [n.title, n.body, n.tag, n.requireInteraction]) : null;
                }"""
            )
            if shown is None:
                mobile.wait_for_timeout(100)
        assert shown == [["P1 call #7 offered to Team A", "Answer within 3 min.", "offer-7", True]]
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        phone.close()
