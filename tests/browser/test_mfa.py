"""Two-step sign-in in a real browser (crisis/mfa.py): enrol on first sign-in, then a recovery code."""

from __future__ import annotations

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.browser.test_security import WAIT, assert_no_csp_violation, new_page, sign_in
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def mfa_required(monkeypatch):
    # Read by the live stack's server when it starts (tests/support/live_stack.py copies the environment).
    monkeypatch.setenv("MFA_REQUIRED", "1")


def code_from(secret_text: str) -> str:
    """What the authenticator app would show for the key the page printed."""
    key = b32decode(secret_text.replace(" ", "") + "=" * (-len(secret_text.replace(" ", "")) % 8))
    return f"{TOTP(key).token():06d}"


def test_a_dispatcher_enrols_on_first_sign_in_then_uses_a_recovery_code(
    mfa_required, live_stack, chromium, dana, tmp_path
):
    page, errors = new_page(chromium, width=1440, height=900)
    sign_in(page, live_stack.url, "dana")
    expect(page.locator("h1")).to_have_text("Set up two-step sign-in", timeout=WAIT)
    assert "/mfa/?next=" in page.url
    qr = page.locator("#mfa-qr svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] >= 200  # big enough to scan from a screen
    page.screenshot(path=str(tmp_path / "enrol.png"), full_page=True)
    secret = page.locator("#mfa-secret").inner_text()

    page.fill("#id_token", code_from(secret))
    page.click("button.primary")
    expect(page.locator("h1")).to_have_text("Two-step sign-in is on", timeout=WAIT)
    codes = page.locator("#mfa-codes code").all_inner_texts()
    assert len(codes) == 10
    page.screenshot(path=str(tmp_path / "codes.png"), full_page=True)
    page.click("#mfa-continue")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)  # the board's websocket
    assert_no_csp_violation(page, errors, "enrol")

    # Another day, another browser: the password, then a code; a lost phone means a recovery code.
    page2, errors2 = new_page(chromium, width=1440, height=900)
    sign_in(page2, live_stack.url, "dana")
    expect(page2.locator("h1")).to_have_text("Enter your code", timeout=WAIT)
    page2.fill("#id_token", "000000")
    page2.click("button.primary")
    expect(page2.locator("#mfa-error")).to_contain_text("did not match")
    page2.screenshot(path=str(tmp_path / "verify.png"), full_page=True)
    page2.fill("#id_token", codes[0])
    page2.click("button.primary")
    expect(page2.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
    assert "/dispatch/board/" in page2.url
    assert_no_csp_violation(page2, errors2, "verify")

    from crisis.models import AuditEntry

    actions = set(AuditEntry.objects.filter(actor=dana).values_list("action", flat=True))
    assert {"crisis.mfa.enrolled", "crisis.mfa.failed", "crisis.mfa.recovery_code_used"} <= actions


TABLET = {"width": 800, "height": 1280}


def _fits(page) -> None:
    """Nothing on the page is wider than the tablet: no sideways scrolling in a patrol car."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow


def test_an_officer_enrols_and_signs_in_with_a_code_on_the_car_tablet(
    mfa_required, live_stack, chromium, oli, tmp_path
):
    page, errors = new_page(chromium, **TABLET)
    sign_in(page, live_stack.url, "oli")
    expect(page.locator("h1")).to_have_text("Set up two-step sign-in", timeout=WAIT)
    qr = page.locator("#mfa-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 200 and box["x"] >= 0 and box["x"] + box["width"] <= TABLET["width"]
    code_box = page.locator("#id_token").bounding_box()
    assert code_box["height"] >= 40  # a thumb's target on a touch screen
    _fits(page)
    page.screenshot(path=str(tmp_path / "tablet-enrol.png"), full_page=True)
    secret = page.locator("#mfa-secret").inner_text()

    page.fill("#id_token", "000000")
    page.click("button.primary")
    expect(page.locator("#mfa-error")).to_contain_text("did not match")
    _fits(page)
    page.screenshot(path=str(tmp_path / "tablet-enrol-error.png"), full_page=True)
    page.wait_for_timeout(2500)  # django-otp's throttle after a wrong code (1 s, doubling)
    page.fill("#id_token", code_from(secret))
    page.click("button.primary")
    expect(page.locator("h1")).to_have_text("Two-step sign-in is on", timeout=WAIT)
    assert len(page.locator("#mfa-codes code").all_inner_texts()) == 10
    _fits(page)
    page.screenshot(path=str(tmp_path / "tablet-codes.png"), full_page=True)
    page.click("#mfa-continue")
    page.wait_for_url("**/officer/**", timeout=WAIT)
    assert_no_csp_violation(page, errors, "tablet enrol")

    # The next shift, a new browser: the password, then the newest code from the app (not a recovery code).
    page2, errors2 = new_page(chromium, **TABLET)
    sign_in(page2, live_stack.url, "oli")
    expect(page2.locator("h1")).to_have_text("Enter your code", timeout=WAIT)
    _fits(page2)
    page2.screenshot(path=str(tmp_path / "tablet-verify.png"), full_page=True)
    from crisis.models import AuditEntry

    # The code just used at enrolment cannot be replayed: wait for the app's next one.
    page2.wait_for_timeout(1000 * (30 - int(time.time()) % 30) + 500)
    page2.fill("#id_token", code_from(secret))
    page2.click("button.primary")
    page2.wait_for_url("**/officer/**", timeout=WAIT)
    assert_no_csp_violation(page2, errors2, "tablet verify")

    actions = list(AuditEntry.objects.filter(actor=oli).values_list("action", flat=True))
    assert "crisis.mfa.enrolled" in actions and "crisis.mfa.failed" in actions
    assert_no_call_strands()
