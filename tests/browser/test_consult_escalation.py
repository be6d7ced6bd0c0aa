"""An officer's consult the on-call clinician does not take goes to the backup and the supervisors, live.

In Chromium against the live stack with CONSULT_ESCALATE_SECONDS=3: the officer asks on a tablet (800x1280);
nobody on the designated clinician's desk answers; the countdown task on the real worker escalates it, the
backup's and the supervisor's pages show it without a reload, the backup takes it and the officer sees who.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crisis.models import AuditEntry
from programs.le_consult.models import Consult
from tests.browser.test_live_journeys import WAIT, screenshot, sign_in
from tests.conftest import CENTER

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

TABLET = {"width": 800, "height": 1280}
DESK = {"width": 1440, "height": 900}
PAGE = "/programs/le_consult/"


@pytest.fixture
def fast_escalation(monkeypatch):
    # Read by the live stack's server and worker when they start (their environment is copied from ours).
    monkeypatch.setenv("CONSULT_ESCALATE_SECONDS", "3")


def test_an_unanswered_consult_goes_to_the_backup_and_the_supervisors(
    fast_escalation, live_stack, chromium, on_call, oli, cam, kit, sue
):
    base = live_stack.url
    tablet = chromium.new_context(
        viewport=TABLET,
        has_touch=True,
        geolocation={"latitude": CENTER[0], "longitude": CENTER[1], "accuracy": 20},
        permissions=["geolocation"],
    )
    backup_desk = chromium.new_context(viewport=DESK)
    supervisor_desk = chromium.new_context(viewport=DESK)
    try:
        backup = backup_desk.new_page()
        sign_in(backup, base, "kit")
        backup.goto(base + PAGE)
        expect(backup.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        supervisor = supervisor_desk.new_page()
        sign_in(supervisor, base, "sue")
        supervisor.goto(base + PAGE)
        expect(supervisor.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)

        officer = tablet.new_page()
        sign_in(officer, base, "oli")
        officer.goto(base + PAGE)
        expect(officer.locator("#place")).to_have_attribute("data-state", "found", timeout=WAIT)
        officer.get_by_role("button", name="A team").tap()
        officer.get_by_role("button", name="Request consult").tap()
        card = officer.locator("article.consult").first
        expect(card.locator('[data-role="who"]')).to_contain_text("Waiting for Cam (on call)", timeout=WAIT)
        consult = Consult.objects.get()
        # Before the escalation the backup hears nothing of it.
        expect(backup.locator(f'article[data-consult="{consult.pk}"]')).to_have_count(0)

        # Nobody answers: the backup's and the supervisor's pages show it, escalated, without a reload.
        backup_card = backup.locator(f'article[data-consult="{consult.pk}"]')
        expect(backup_card).to_have_attribute("data-status", "escalated", timeout=WAIT)
        expect(supervisor.locator(f'article[data-consult="{consult.pk}"]')).to_have_attribute(
            "data-status", "escalated", timeout=WAIT
        )
        expect(card.locator('[data-role="who"]')).to_contain_text("backup Kit and supervisors called", timeout=WAIT)
        screenshot(backup, "consult-escalated-backup-1440.png")
        screenshot(officer, "consult-escalated-officer-tablet.png")

        backup_card.get_by_role("button", name="Accept").click()
        expect(card.locator('[data-role="who"]')).to_contain_text("Handled by Kit", timeout=WAIT)
    finally:
        tablet.close()
        backup_desk.close()
        supervisor_desk.close()
    actions = list(
        AuditEntry.objects.filter(object_type="le_consult.consult", object_id=str(consult.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["le_consult.consult.requested", "le_consult.consult.escalated", "le_consult.consult.accepted"]
    assert Consult.objects.get().assigned_to == kit
