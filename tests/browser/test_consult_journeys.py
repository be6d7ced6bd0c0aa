"""Officer consults and the consent-scoped lookup, in Chromium, against uvicorn + a Celery worker + PostgreSQL + Redis.

An officer on a tablet asks for the on-call clinician in two taps; the clinician at a desk sees it without a
reload, takes it, and they talk both ways; the clinician closes it with what it changed and the officer sees
the outcome. A clinician breaks the glass on a person's history: a supervisor's screen shows the alert at once
and the audit trail holds the search, the view and its reason.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crisis.history.models import ClinicalRecord
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

TABLET = {"width": 1024, "height": 768}
DESK = {"width": 1440, "height": 900}
PAGE = "/programs/le_consult/"


def no_csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def test_an_officer_consult_reaches_the_clinician_and_they_talk_both_ways(live_stack, chromium, on_call, oli, cam):
    base = live_stack.url
    tablet = chromium.new_context(
        viewport=TABLET,
        has_touch=True,
        geolocation={"latitude": CENTER[0] + 0.003, "longitude": CENTER[1] - 0.002, "accuracy": 15},
        permissions=["geolocation"],
    )
    desk = chromium.new_context(viewport=DESK)
    try:
        officer = tablet.new_page()
        officer_csp = no_csp_errors(officer)
        sign_in(officer, base, "oli")
        officer.goto(base + PAGE)
        expect(officer.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        expect(officer.locator("#place")).to_have_attribute("data-state", "found", timeout=WAIT)
        expect(officer.locator("#place")).to_contain_text("±15 m")

        clinician = desk.new_page()
        clinician_csp = no_csp_errors(clinician)
        sign_in(clinician, base, "cam")
        clinician.goto(base + PAGE)
        expect(clinician.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)

        # Two taps: what they need, and send (the description is optional).
        officer.fill("#description", "Man on the bridge rail, talking to himself")
        officer.get_by_role("button", name="Advice now").tap()
        officer.get_by_role("button", name="Request consult").tap()
        card = officer.locator("article.consult").first
        expect(card.locator('[data-role="who"]')).to_contain_text("Waiting for Cam (on call)", timeout=WAIT)
        # The officer's card offers only what the officer may do: cancel, not accept.
        expect(card.get_by_role("button", name="Accept")).to_be_hidden()
        expect(card.get_by_role("button", name="Cancel request")).to_be_visible()
        consult = Consult.objects.get()
        assert consult.latitude == pytest.approx(CENTER[0] + 0.003) and consult.location_accuracy_m == 15

        # The clinician's desk shows it without a reload.
        desk_card = clinician.locator(f'article[data-consult="{consult.pk}"]')
        expect(desk_card).to_be_visible(timeout=WAIT)
        expect(desk_card).to_contain_text("Man on the bridge rail")
        screenshot(clinician, "consult-desk-requested.png")
        desk_card.get_by_role("button", name="Accept").click()
        expect(card.locator('[data-role="who"]')).to_contain_text("Handled by Cam", timeout=WAIT)
        expect(desk_card.get_by_role("button", name="Accept")).to_be_hidden()
        expect(card.get_by_role("button", name="Cancel request")).to_be_hidden()
        expect(card.locator('[data-role="status"]')).to_have_text("In progress")

        desk_card.locator('input[name="text"]').fill("Is he holding on, or standing free? Any weapon?")
        desk_card.locator('input[name="text"]').press("Enter")
        expect(card.locator('[data-role="thread"]')).to_contain_text("Any weapon?", timeout=WAIT)
        card.locator('input[name="text"]').fill("Holding on. No weapon seen. He asks for his sister.")
        card.get_by_role("button", name="Send").tap()
        expect(desk_card.locator('[data-role="thread"]')).to_contain_text("asks for his sister", timeout=WAIT)
        screenshot(officer, "consult-tablet-thread.png")

        desk_card.locator('select[name="outcome"]').select_option("arrest_avoided")
        desk_card.locator('input[name="note"]').fill("Sister on her way; officer stays with him.")
        desk_card.get_by_role("button", name="Close with this outcome").click()
        expect(card.locator('[data-role="outcome"]')).to_contain_text("Arrest avoided", timeout=WAIT)
        expect(card.locator('[data-role="status"]')).to_have_text("Closed")
        expect(card.locator('[data-act="message"]')).to_be_hidden()
        for hidden in ("Accept", "Cancel request", "Look up the person"):
            expect(desk_card.get_by_role("button", name=hidden)).to_have_count(0)
        expect(desk_card.get_by_role("link", name="Look up the person")).to_be_hidden()
        screenshot(officer, "consult-tablet-closed.png")
        screenshot(clinician, "consult-desk-closed.png")

        consult.refresh_from_db()
        assert (consult.status, consult.outcome, consult.assigned_to) == ("closed", "arrest_avoided", cam)
        assert [m.author for m in consult.messages.all()] == [cam, oli]
        assert officer_csp == [] and clinician_csp == []
    finally:
        tablet.close()
        desk.close()


def test_a_break_glass_lookup_alerts_the_supervisor_at_once_and_is_audited(live_stack, chromium, cam, sue, person):
    ClinicalRecord.objects.create(person=person, on="2024-05-01", source="County BH", summary="Admitted, mania")
    base = live_stack.url
    desk = chromium.new_context(viewport=DESK)
    oversight = chromium.new_context(viewport=DESK)
    try:
        supervisor = oversight.new_page()
        sign_in(supervisor, base, "sue")
        supervisor.goto(base + PAGE)
        expect(supervisor.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        expect(supervisor.locator("#alerts")).to_contain_text("None.")

        clinician = desk.new_page()
        csp = no_csp_errors(clinician)
        sign_in(clinician, base, "cam")
        clinician.goto(base + "/history/")
        clinician.fill("#id_name", "Marcus Hill")
        clinician.fill("#id_purpose", "Officer consult: man on the bridge")
        clinician.click("#history-search button[type=submit]")
        clinician.get_by_role("link", name="Marcus Hill").click()
        expect(clinician.locator("#clinical .locked")).to_contain_text("No consent on file", timeout=WAIT)
        expect(clinician.locator("#clinical")).not_to_contain_text("Admitted")
        clinician.fill("#id_reason", "Threatening to jump; needs meds history now, no consent on file")
        clinician.get_by_role("button", name="Break the glass").click()
        expect(clinician.locator("#clinical")).to_contain_text("Admitted, mania", timeout=WAIT)
        expect(clinician.locator("#audit-line")).to_contain_text("supervisors alerted")
        screenshot(clinician, "history-break-glass.png")

        alert = supervisor.locator("#alerts .alert")
        expect(alert).to_have_count(1, timeout=WAIT)
        expect(alert).to_contain_text("Marcus Hill")
        expect(alert).to_contain_text("Threatening to jump")
        screenshot(supervisor, "oversight-break-glass-alert.png")

        actions = list(AuditEntry.objects.filter(actor=cam).order_by("id").values_list("action", "detail"))
        assert [a for a, _ in actions if a.startswith("history.")] == [
            "history.person.searched",
            "history.person.viewed",
            "history.person.break_glass",
        ]
        assert all(d["purpose"] == "Officer consult: man on the bridge" for a, d in actions if a.startswith("history."))
        assert csp == []
    finally:
        desk.close()
        oversight.close()
