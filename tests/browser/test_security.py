"""Security in a real browser: the login lockout, idle logoff, and pages that run under the strict CSP.

Chromium reports every Content-Security-Policy violation as a `securitypolicyviolation` event; each page is
loaded, used a little, and must have raised none.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

WAIT = 20_000
IDLE_SECONDS = 8

WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || ''));
});
"""


def new_page(chromium, **viewport):
    context = chromium.new_context(viewport=viewport or {"width": 1400, "height": 900})
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return page, errors


def sign_in(page, base, username, password=PASSWORD):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def assert_no_csp_violation(page, errors, where):
    violations = page.evaluate("window.__csp")
    refused = [e for e in errors if "Content Security Policy" in e]
    assert not violations and not refused, (where, violations, refused)


def test_five_wrong_passwords_lock_the_account_and_the_page_says_so(live_stack, chromium, dana):
    page, errors = new_page(chromium)
    for _ in range(4):
        sign_in(page, live_stack.url, "dana", "wrong-password")
        expect(page.locator(".error")).to_contain_text("didn't match")
    sign_in(page, live_stack.url, "dana", "wrong-password")
    expect(page.locator("#locked-out")).to_contain_text("Too many failed sign-ins", timeout=WAIT)
    sign_in(page, live_stack.url, "dana")
    expect(page.locator("#locked-out")).to_contain_text("locked for 10 minutes")
    assert page.url.endswith("/login/")
    assert_no_csp_violation(page, errors, "login")


def test_desk_pages_run_under_the_policy(live_stack, chromium, sue, new_call):
    new_call()
    page, errors = new_page(chromium)
    sign_in(page, live_stack.url, "sue")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
    expect(page.locator("#calls tr[data-call]")).to_have_count(1, timeout=WAIT)
    page.locator("#calls tr[data-call]").first.click()
    assert_no_csp_violation(page, errors, "board")

    page.goto(f"{live_stack.url}/dispatch/calls/new/")
    page.fill("#id_address", "100 N State St")
    page.keyboard.press("Tab")
    assert_no_csp_violation(page, errors, "intake")

    page.goto(f"{live_stack.url}/dispatch/")
    assert_no_csp_violation(page, errors, "queue")

    page.goto(f"{live_stack.url}/reports/")
    expect(page.locator("main")).to_be_visible()
    for link in page.locator("main a[href^='/reports/']").all()[:1]:
        link.click()
        expect(page.locator("canvas").first).to_be_visible(timeout=WAIT)
    assert_no_csp_violation(page, errors, "reports")

    page.goto(f"{live_stack.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Crisis response dispatch API", timeout=WAIT)
    assert_no_csp_violation(page, errors, "api docs")


def test_the_phone_runs_under_the_policy(live_stack, chromium, rita):
    page, errors = new_page(chromium, width=360, height=740)
    sign_in(page, live_stack.url, "rita")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
    assert_no_csp_violation(page, errors, "phone")


@pytest.fixture
def short_idle(monkeypatch):
    # Read by the live stack's server when it starts (tests/support/live_stack.py copies the environment).
    monkeypatch.setenv("SESSION_IDLE_SECONDS", str(IDLE_SECONDS))


def test_an_idle_board_warns_then_signs_out(short_idle, live_stack, chromium, dana):
    page, errors = new_page(chromium)
    sign_in(page, live_stack.url, "dana")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
    expect(page.locator(".idle-warning")).to_contain_text("you will be signed out in", timeout=WAIT)
    expect(page.locator("#signed-out-idle")).to_contain_text("signed out after", timeout=WAIT)
    assert "idle=1" in page.url and "next=%2Fdispatch%2Fboard%2F" in page.url
    page.goto(f"{live_stack.url}/dispatch/board/")
    assert "/login/" in page.url
    assert_no_csp_violation(page, errors, "idle")


def test_stay_signed_in_keeps_the_session(short_idle, live_stack, chromium, dana):
    page, _ = new_page(chromium)
    sign_in(page, live_stack.url, "dana")
    expect(page.locator(".idle-warning")).to_be_visible(timeout=WAIT)
    page.click(".idle-warning button")
    expect(page.locator(".idle-warning")).to_have_count(0)
    page.wait_for_timeout((IDLE_SECONDS - 3) * 1000)
    page.goto(f"{live_stack.url}/dispatch/board/")
    assert page.url.endswith("/dispatch/board/")
