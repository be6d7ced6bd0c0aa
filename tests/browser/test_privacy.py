"""A privacy officer answers a person's request for an accounting of disclosures, at a desk (1440x900), in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crisis import audit
from crisis.models import AuditEntry
from tests.browser.test_live_journeys import WAIT, screenshot, sign_in
from tests.conftest import make_user
from tests.support.live_stack import off_loop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_the_privacy_officer_finds_the_person_reads_the_accounting_and_downloads_it(
    cam, dana, person, live_stack, chromium
):
    def world():
        make_user("pia", "privacy_officer")
        audit.record(
            actor=None,
            action="disclosure.fhir",
            obj=person,
            recipient="Northside Clinic EHR",
            purpose="Care coordination",
            records=["ServiceRequest/12", "Patient/3"],
        )
        audit.record(actor=cam, action="history.person.viewed", obj=person, purpose="Consult #4", shown=["plan"])
        audit.record(actor=dana, action="people.person.viewed", obj=person, via="page")

    off_loop(world)
    desk = chromium.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "pia")
        expect(page.locator("h1")).to_contain_text("Accounting of disclosures", timeout=WAIT)  # her home
        page.fill("#id_name", "hill")
        page.get_by_role("button", name="Find").click()
        page.get_by_role("link", name="Marcus Hill").click()
        expect(page.locator("#accounting h2")).to_contain_text("1 disclosure, 3 entries", timeout=WAIT)
        expect(page.locator("#accounting tr.disclosure")).to_contain_text("Northside Clinic EHR")
        screenshot(page, "privacy-accounting-1440.png")
        with page.expect_download() as download:
            page.click("#csv-export")
        text = open(download.value.path(), encoding="utf-8").read()
        assert "Northside Clinic EHR" in text and "Consult #4" in text
        page.fill("#id_start", "2030-01-02")
        page.fill("#id_end", "2030-01-01")
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#period-form .error")).to_contain_text("must be on or before", timeout=WAIT)
        screenshot(page, "privacy-accounting-bad-period-1440.png")
    finally:
        desk.close()
    actions = off_loop(lambda: set(AuditEntry.objects.filter(actor_label="pia").values_list("action", flat=True)))
    assert {"crisis.privacy.people_searched", "crisis.disclosures.viewed", "crisis.disclosures.exported"} <= actions
