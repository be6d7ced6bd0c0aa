"""A supervisor staffs a team in the Django admin, in Chromium, without a shell; a dispatcher cannot."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crisis.models import AuditEntry
from responders.models import TeamMember
from tests.browser.test_live_journeys import DESKTOP, WAIT, screenshot, sign_in
from tests.conftest import make_user
from tests.support.live_stack import off_loop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_a_supervisor_adds_a_member_and_the_change_is_audited(live_stack, chromium, sue, dana, team_a):
    newcomer = off_loop(make_user, "nia", "responder")
    desk = chromium.new_context(viewport=DESKTOP)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "sue")
        page.goto(f"{live_stack.url}/admin/responders/team/{team_a.pk}/change/")
        expect(page.locator("h1")).to_contain_text("Change team", timeout=WAIT)
        # Live state is the dispatch path's to write: shown, not editable.
        expect(page.locator("select[name=status]")).to_have_count(0)
        page.select_option("#id_members-2-user", label="nia")
        page.select_option("#id_members-2-credential", "peer_specialist")
        # Languages by name from the one list (crisis/languages.py), stored as codes.
        page.select_option("#id_members-2-languages", label=["English", "American Sign Language"])
        page.fill("#id_members-2-specialties", "[]")
        screenshot(page, "admin-staffing.png")
        page.click("input[name=_save]")
        screenshot(page, "admin-staffing-saved.png")
        expect(page.locator(".messagelist")).to_contain_text("was changed successfully", timeout=WAIT)
    finally:
        desk.close()

    member = off_loop(lambda: TeamMember.objects.get(user=newcomer))
    assert member.team_id == team_a.pk and member.active
    assert member.languages == ["en", "ase"]
    assert off_loop(
        lambda: AuditEntry.objects.filter(action="responders.member.added", object_id=str(member.pk)).exists()
    )

    other = chromium.new_context(viewport=DESKTOP)
    try:
        page = other.new_page()
        sign_in(page, live_stack.url, "dana")
        page.goto(f"{live_stack.url}/admin/responders/team/{team_a.pk}/change/")
        # A dispatcher is sent to the admin's sign-in page: no access.
        expect(page).to_have_url(f"{live_stack.url}/admin/login/?next=/admin/responders/team/{team_a.pk}/change/")
    finally:
        other.close()
