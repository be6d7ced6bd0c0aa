"""A password an administrator set is changed at the first sign-in (crisis/passwords.py), in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crisis import audit
from crisis.models import AuditEntry, PasswordRecord
from tests.browser.test_security import WAIT, assert_no_csp_violation, new_page, sign_in
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

GIVEN = "given by the admin 42"
OWN = "my own long passphrase 7"


class _AdminRequest:
    def __init__(self, user):
        self.user = user


def test_an_officer_given_a_password_chooses_their_own_on_the_tablet(live_stack, chromium, oli, ada, tmp_path):
    # As the user admin's change-password form does: an administrator sets it within their request.
    token = audit.current_request.set(_AdminRequest(ada))
    try:
        oli.set_password(GIVEN)
        oli.save()
    finally:
        audit.current_request.reset(token)
    assert PasswordRecord.objects.filter(user=oli).order_by("-set_at", "-id").first().must_change

    page, errors = new_page(chromium, width=800, height=1280)
    sign_in(page, live_stack.url, "oli", GIVEN)
    expect(page.locator("h1")).to_have_text("Change your password", timeout=WAIT)
    expect(page.locator("#password-reason")).to_contain_text("An administrator set your password")
    page.goto(f"{live_stack.url}/dispatch/officer/")  # nothing else opens first
    expect(page.locator("h1")).to_have_text("Change your password", timeout=WAIT)

    page.fill("#id_old_password", GIVEN)
    page.fill("#id_new_password1", GIVEN)
    page.fill("#id_new_password2", GIVEN)
    page.click("button.primary")
    expect(page.locator(".error")).to_contain_text("cannot be one of your last")
    page.screenshot(path=str(tmp_path / "password-reused.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0

    page.fill("#id_old_password", GIVEN)
    page.fill("#id_new_password1", OWN)
    page.fill("#id_new_password2", OWN)
    page.click("button.primary")
    expect(page.locator("#password-changed")).to_contain_text("Sign in with the new one", timeout=WAIT)
    sign_in(page, live_stack.url, "oli", OWN)
    page.wait_for_url("**/dispatch/officer/**", timeout=WAIT)
    assert_no_csp_violation(page, errors, "password change")
    assert AuditEntry.objects.filter(action="crisis.password.changed", actor=oli).exists()
    assert_no_call_strands()
