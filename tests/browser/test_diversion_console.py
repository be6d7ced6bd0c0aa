"""The 911 diversion console at a desk (1440x900), in Chromium against the live stack.

The 911 CAD transfers a call through the API with a call-desk token (twice: the retry changes nothing); the
clinician's console shows it live with its waiting clock, the clinician takes it, documents counselling,
needs and a safety plan, refers the caller to a partner and resolves the call by phone.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dispatch.models import Call, Status
from programs.community_responders.models import Partner, Referral
from programs.diversion.models import Diversion
from tests.browser.test_live_journeys import WAIT, api, screenshot, sign_in
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
TRANSFER = {
    "incident_id": "CAD-2026-004711",
    "address": "1200 W Lake St, apt 3",
    "nature": "Caller crying, says she can't go on like this",
    "caller_name": "Rosa",
    "callback_number": "312-555-0101",
    "narrative": "911 call-taker: no weapons mentioned, alone at home.",
}


def test_a_cad_transfer_resolved_by_phone_with_a_referral(live_stack, chromium, cam, dana):
    def world():
        from tests.factories import api_token

        Partner.objects.create(name="Northside Clinic", services="Outpatient psychiatry", phone="312-555-0150")
        return api_token(dana)

    token = off_loop(world)
    desk = chromium.new_context(viewport=DESK)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "cam")
        page.goto(f"{live_stack.url}/programs/diversion/")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)

        first = api(live_stack, token, "POST", "/programs/diversion/api/transfers/", TRANSFER)
        again = api(live_stack, token, "POST", "/programs/diversion/api/transfers/", TRANSFER)
        assert again == first and Diversion.objects.count() == 1

        row = page.locator(f'#waiting li[data-diversion="{first["id"]}"]')
        expect(row).to_contain_text("Caller crying", timeout=WAIT)
        expect(row).to_contain_text("CAD CAD-2026-004711")
        expect(page.locator("#waiting-count")).to_have_text("1")
        screenshot(page, "diversion-console-1440.png")

        row.get_by_role("link").click()
        page.get_by_role("button", name="Take this call").click()
        expect(page.locator("#status")).to_have_text("With a clinician", timeout=WAIT)
        page.fill("#id_counselling_note", "Grounding and breathing; she agreed to call her sister tonight.")
        page.get_by_label("Housing or shelter").check()
        page.get_by_label("Medication or prescriber").check()
        page.fill("#id_safety_plan", "Sister Ana 312-555-0199; 988 if the urges come back.")
        page.locator("#document-form").get_by_role("button", name="Save").click()
        expect(page.locator("#done")).to_have_text("Saved.", timeout=WAIT)
        expect(page.locator("#id_counselling_note")).to_have_value(
            "Grounding and breathing; she agreed to call her sister tonight.", timeout=WAIT
        )
        page.select_option("#id_partner", label="Northside Clinic")
        page.fill("#id_service", "Psychiatry intake")
        page.get_by_role("button", name="Send referral").click()
        expect(page.locator("#referrals")).to_contain_text("Northside Clinic: Psychiatry intake", timeout=WAIT)
        page.get_by_label("Wished to be dead or not wake up (past month)").check()
        screenshot(page, "diversion-call-1440.png")
        page.get_by_role("button", name="Resolved by phone").click()
        expect(page.locator("#status")).to_have_text("Resolved by phone", timeout=WAIT)

        page.goto(f"{live_stack.url}/programs/diversion/")
        expect(page.locator(f'#ended li[data-diversion="{first["id"]}"]')).to_contain_text("Resolved by phone")
        expect(page.locator("#waiting-count")).to_have_text("0")
    finally:
        desk.close()
    d = Diversion.objects.get()
    assert d.status == "resolved" and d.needs == ["housing", "medication"]
    assert Call.objects.get().status == Status.CLOSED  # resolved by phone closes the call
    assert Referral.objects.get().call_id == d.call_id
    assert_no_call_strands()
