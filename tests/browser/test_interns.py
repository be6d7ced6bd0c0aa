"""Interns at a desk (1440x900), in Chromium against the live stack (with its beat): the intern writes in the
supervision log, the supervisor signs it off, and when the term is over the intern loses access by itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crisis.models import AuditEntry, User
from responders import interns
from tests.browser.test_live_journeys import WAIT, screenshot, sign_in
from tests.conftest import make_user
from tests.support.live_stack import off_loop
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

DESK = {"width": 1440, "height": 900}


def test_the_log_is_signed_and_access_ends_with_the_term(live_stack, chromium, sue):
    today = timezone.localdate()

    def world():
        ivy = make_user("ivy", "intern")
        term = interns.intern_term_save(
            user=ivy, university="UIC", supervisor=sue, starts_on=today - timedelta(days=90), ends_on=today, by=sue
        )
        return ivy, term

    ivy, term = off_loop(world)
    intern_ctx = chromium.new_context(viewport=DESK)
    supervisor_ctx = chromium.new_context(viewport=DESK)
    try:
        intern = intern_ctx.new_page()
        sign_in(intern, live_stack.url, "ivy")
        expect(intern.locator("h1")).to_contain_text("Your internship", timeout=WAIT)  # the intern's home
        expect(intern.locator("#term")).to_contain_text("your access ends after that day")
        intern.fill("#id_text", "Took a diverted call with Sue listening; used the safety-plan template.")
        intern.get_by_role("button", name="Add to the log").click()
        expect(intern.locator("#notes li").first).to_contain_text("Waiting for sign-off", timeout=WAIT)

        supervisor = supervisor_ctx.new_page()
        sign_in(supervisor, live_stack.url, "sue")
        supervisor.goto(f"{live_stack.url}/interns/")
        note = supervisor.locator("#notes li").first
        expect(note).to_contain_text("Took a diverted call")
        note.get_by_placeholder("Comment (optional)").fill("Good. Next time lead the screen yourself.")
        note.get_by_role("button", name="Sign off").click()
        expect(supervisor.locator("#notes li").first).to_contain_text("Signed off by", timeout=WAIT)
        screenshot(supervisor, "interns-supervisor-1440.png")

        intern.reload()
        expect(intern.locator("#notes li").first).to_contain_text("Next time lead the screen yourself")
        screenshot(intern, "interns-intern-1440.png")

        # The term's last day passes: beat ends the access on its own (every SWEEP_INTERVAL_SECONDS).
        off_loop(lambda: type(term).objects.filter(pk=term.pk).update(ends_on=today - timedelta(days=1)))
        for _ in range(30):
            if not off_loop(lambda: User.objects.get(pk=ivy.pk).is_active):
                break
            intern.wait_for_timeout(1000)
        intern.goto(f"{live_stack.url}/interns/")
        expect(intern.locator("#id_username")).to_be_visible(timeout=WAIT)  # signed out: the sign-in page
    finally:
        intern_ctx.close()
        supervisor_ctx.close()
    revoked = AuditEntry.objects.get(action="crisis.access.revoked", object_id=str(ivy.pk))
    assert revoked.detail["reason"] == "intern_term_ended" and revoked.actor is None


PHONE = {"width": 360, "height": 740}


def test_hours_on_a_phone_are_approved_and_the_program_manager_sees_turnover(live_stack, chromium, sue, ada):
    today = timezone.localdate()

    def world():
        ivy = make_user("ivy", "intern")
        interns.intern_term_save(
            user=ivy, university="UIC", supervisor=sue, starts_on=today - timedelta(days=80),
            ends_on=today + timedelta(days=12), by=sue, required_hours=120,
        )  # fmt: skip
        leo = make_user("leo", "intern")
        term = interns.intern_term_save(
            user=leo, university="Loyola", supervisor=sue, starts_on=today - timedelta(days=40),
            ends_on=today + timedelta(days=90), by=sue, required_hours=60,
        )  # fmt: skip
        interns.intern_term_end_early(term=term, by=ada, reason="Moved to another placement")

    off_loop(world)
    phone_ctx = chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    desk_ctx = chromium.new_context(viewport=DESK)
    try:
        intern = phone_ctx.new_page()
        sign_in(intern, live_stack.url, "ivy")
        expect(intern.locator("#hours-total")).to_contain_text("0 of 120 required signed off", timeout=WAIT)
        intern.fill("#id_hours", "30")
        intern.fill("#id_activity", "Night shift on the diversion desk")
        intern.get_by_role("button", name="Log hours").tap()
        expect(intern.locator("#hours-form .error")).to_contain_text("at most 24", timeout=WAIT)
        intern.fill("#id_hours", "6.5")
        intern.get_by_role("button", name="Log hours").tap()
        expect(intern.locator("#hours tbody tr").first).to_contain_text("Waiting", timeout=WAIT)
        expect(intern.locator("#hours-total")).to_contain_text("6.50 waiting")
        screenshot(intern, "interns-hours-360.png")
        assert intern.evaluate("document.documentElement.scrollWidth") <= 360  # nothing runs off the phone

        manager = desk_ctx.new_page()
        sign_in(manager, live_stack.url, "sue")
        manager.goto(f"{live_stack.url}/interns/")
        manager.locator("#hours tbody tr").first.get_by_role("button", name="Approve").click()
        expect(manager.locator("#hours tbody tr").first).to_contain_text("Signed off by", timeout=WAIT)
        manager.get_by_role("link", name="Turnover: all interns by term and university").click()
        expect(manager.locator("h1")).to_contain_text("Intern turnover", timeout=WAIT)
        upcoming = manager.locator("#upcoming")
        expect(upcoming).to_contain_text("Ivy")
        expect(upcoming).to_contain_text("113.50 short")
        expect(upcoming.locator("li.todo")).to_contain_text(["On a team", "Supervisor on the same team"])
        total = manager.locator("#turnover-total")
        expect(total).to_contain_text("All universities")
        expect(manager.locator("#terms")).to_contain_text("ended early")
        expect(manager.locator("#terms")).to_contain_text("Moved to another placement")
        screenshot(manager, "interns-turnover-1440.png")
        with manager.expect_download() as download:
            manager.locator("#turnover-csv").click()
        assert download.value.suggested_filename.startswith("intern-turnover-")

        intern.reload()
        expect(intern.locator("#hours-total")).to_contain_text("6.50 of 120 required signed off", timeout=WAIT)
    finally:
        phone_ctx.close()
        desk_ctx.close()
    assert AuditEntry.objects.filter(action="responders.intern_turnover.exported", actor=sue).count() == 1
    assert_no_call_strands()
