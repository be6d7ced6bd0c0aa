"""An outreach worker on the phone (360 px) records a contact from the by-name list; the desk sees it (1440x900)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crisis.models import Person
from programs.homeless_outreach import services
from programs.homeless_outreach.models import OutreachContact
from tests.browser.test_live_journeys import WAIT, screenshot, sign_in
from tests.support.live_stack import off_loop
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_record_an_outreach_contact_from_the_phone(dana, rita, hana, team_a, live_stack, chromium):
    walt = off_loop(
        lambda: Person.objects.create(first_name="Walter", last_name="Grey", experiencing_homelessness=True)
    )
    phone = chromium.new_context(viewport={"width": 360, "height": 740})
    try:
        page = phone.new_page()
        sign_in(page, live_stack.url, "rita")
        page.get_by_role("link", name="By-name list").click()
        card = page.locator(f"#byname-{walt.pk}")
        expect(card).to_contain_text("never contacted", timeout=WAIT)
        screenshot(page, "outreach-by-name-360.png")
        card.get_by_role("link", name="Record an encounter").click()
        page.select_option("#id_living_situation", "116")
        page.select_option("#id_outcome", "housing")
        page.select_option("#id_housing_referral_status", "sent")
        page.get_by_role("button", name="Record the encounter").click()
        # A referral status with no partner named: the form says so and keeps what was chosen.
        expect(page.locator("#contact-form")).to_contain_text("Name the housing partner", timeout=WAIT)
        page.fill("#id_housing_partner", "Lakeside Housing")
        # The directory's suggestion list opens over the button (the agency is in the directory): close it first.
        page.locator("h1").click()
        screenshot(page, "outreach-contact-360.png")
        page.get_by_role("button", name="Record the encounter").click()
        # Sending the referral shares Walter's data with the agency: not without his consent to share with it.
        expect(page.locator("#contact-form")).to_contain_text("No consent to share with Lakeside Housing", timeout=WAIT)
        screenshot(page, "outreach-referral-no-consent-360.png")
        off_loop(
            lambda: services.sharing_consent_record(
                person=walt,
                partner=hana.partner_agency.partner,
                by=rita,
                expires_at=timezone.now() + timedelta(days=30),
            )
        )
        page.get_by_role("button", name="Record the encounter").click()
        expect(page.locator(".messages")).to_contain_text("Encounter with Walter Grey recorded", timeout=WAIT)
        expect(card.locator(".living")).to_contain_text("Place not meant for habitation")
        expect(card.locator(".housing")).to_contain_text("Lakeside Housing: Referred, waiting")
        screenshot(page, "outreach-by-name-after-360.png")
    finally:
        phone.close()

    desk = chromium.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        page.goto(f"{live_stack.url}/programs/homeless_outreach/")
        expect(page.locator(f"#byname-{walt.pk}")).to_contain_text("Last seen by", timeout=WAIT)
        expect(page.locator(f"#byname-{walt.pk}")).to_contain_text("Team A")
    finally:
        desk.close()
    assert off_loop(lambda: OutreachContact.objects.get(person_id=walt.pk).housing_partner) == "Lakeside Housing"
    off_loop(assert_no_call_strands)


def test_a_housing_navigator_sees_a_person_named_only_while_consent_is_in_force(
    rita, hana, team_a, live_stack, chromium
):
    dale = off_loop(
        lambda: Person.objects.create(
            first_name="Dale", last_name="Simmons", experiencing_homelessness=True, date_of_birth="1971-05-02"
        )
    )
    staff = chromium.new_context(viewport={"width": 360, "height": 740})
    navigator = chromium.new_context(viewport={"width": 360, "height": 740})
    try:
        worker = staff.new_page()
        sign_in(worker, live_stack.url, "rita")
        worker.goto(f"{live_stack.url}/programs/homeless_outreach/")
        worker.locator(f"#byname-{dale.pk}").get_by_role("link", name="Record an encounter").click()
        worker.select_option("#id_place", "encampment")
        worker.fill("#id_area", "Union Park")
        worker.fill("#id_exact_location", "Bench north of the fieldhouse")
        worker.locator("#id_offered").get_by_label("Food or water").check()
        worker.locator("#id_offered").get_by_label("A shelter bed").check()
        worker.locator("#id_accepted").get_by_label("Food or water").check()
        worker.get_by_role("button", name="Record the encounter").click()
        expect(worker.locator(".messages")).to_contain_text("Encounter with Dale Simmons recorded", timeout=WAIT)

        page = navigator.new_page()
        sign_in(page, live_stack.url, "hana")  # home: the by-name list
        card = page.locator(f"#byname-{dale.pk}")
        expect(card).to_contain_text(f"BNL-{dale.pk:05d}", timeout=WAIT)
        expect(card).to_contain_text("Union Park")
        expect(page.locator("main")).not_to_contain_text("Dale")
        expect(card).not_to_contain_text("fieldhouse")
        screenshot(page, "outreach-partner-pseudonymous-360.png")

        worker.locator(f"#byname-{dale.pk}").get_by_role("link", name="Consent to share").click()
        worker.select_option("#id_partner", label="Lakeside Housing")
        worker.get_by_role("button", name="Record the consent").click()
        expect(worker.locator(".consent")).to_contain_text("In force until", timeout=WAIT)
        assert worker.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(worker, "outreach-consent-360.png")

        page.reload()
        expect(card.locator("h2")).to_contain_text("Dale Simmons", timeout=WAIT)
        expect(card).to_contain_text("2 May 1971")
        expect(card).not_to_contain_text("fieldhouse")  # the scope was identity, not the exact location
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, "outreach-partner-named-360.png")

        worker.get_by_role("button", name="Revoke").click()
        expect(worker.locator(".consent")).to_contain_text("Revoked", timeout=WAIT)
        page.reload()
        expect(card.locator("h2")).to_contain_text(f"BNL-{dale.pk:05d}", timeout=WAIT)
        expect(page.locator("main")).not_to_contain_text("Dale")
    finally:
        staff.close()
        navigator.close()
    off_loop(assert_no_call_strands)
