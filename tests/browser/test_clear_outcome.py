"""A community responders' team clears a wellness check on the phone (360 px) with what happened for the person and
a referral, in one submit that waits in the tap queue while offline (an outcome that contradicts the referral is
asked about before anything is queued); the supervisor's outcomes report shows it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_live_journeys import DESK_1440, PHONE, SETTLE, WAIT, screenshot, sign_in
from tests.conftest import CENTER, make_team
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def community(db):
    from programs.community_responders.models import Partner
    from programs.models import Program

    program = Program.objects.create(
        name="Community Responders",
        kind="community_responder",
        tiers=["community"],
        center_latitude=CENTER[0],
        center_longitude=CENTER[1],
        radius_km=50,
    )
    team, _ = make_team("Team C", program, members=[("cleo", "peer_specialist", ["en"], [])])
    partner = Partner.objects.create(name="Eastside Food Pantry", services="Food, benefits help", hours="Daily 9-17")
    return team, partner


def test_a_wellness_check_cleared_with_outcome_and_referral_in_one_offline_submit(
    live_stack, chromium, community, dana, sue, new_call
):
    from dispatch import services
    from dispatch.models import Call
    from programs.community_responders.models import CallOutcome, Referral

    team, partner = community
    call = new_call(call_type="welfare_check", nature="Neighbour not seen for two days")
    services.call_triage(call=call, screen={"phone_engaged": True}, by=dana)
    services.call_assign(call=call, team=team, by=dana, reason="closest, by hand", confirm_gaps=True)

    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        mobile = phone.new_page()
        sign_in(mobile, live_stack.url, "cleo")
        expect(mobile.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        status = mobile.locator("#call-status")
        expect(status).to_have_attribute("data-status", "assigned", timeout=WAIT)
        mobile.get_by_role("button", name="En route", exact=True).click()
        expect(status).to_have_attribute("data-status", "en_route", timeout=WAIT)
        mobile.get_by_role("button", name="On scene", exact=True).click()
        expect(status).to_have_attribute("data-status", "on_scene", timeout=WAIT)

        mobile.get_by_label("Disposition").select_option("referred")
        outcome = mobile.get_by_label("What happened for the person")
        # The wellness check's own choices, from the plug-in: a disturbance's "de-escalated" is not offered.
        expect(outcome.locator("option", has_text="Found, safe, no needs")).to_have_count(1)
        expect(outcome.locator("option", has_text="De-escalated")).to_have_count(0)
        # "No needs" and a referral contradict each other: the phone asks before anything is queued.
        outcome.select_option("found_safe")
        partner_choice = mobile.get_by_label("Referred to (optional)")
        partner_choice.select_option(label="Eastside Food Pantry")
        mobile.get_by_role("button", name="Clear call").click()
        expect(mobile.locator("#message")).to_contain_text("nobody was referred", timeout=WAIT)
        expect(mobile.locator("#queue-line")).to_be_hidden()
        screenshot(mobile, "phone-clear-contradiction-360.png")
        partner_choice.select_option("")
        outcome.select_option("found_referred")
        # "Referred" with no partner: the phone asks before anything is queued.
        mobile.get_by_role("button", name="Clear call").click()
        expect(mobile.locator("#message")).to_contain_text("choose the partner service", timeout=WAIT)
        expect(mobile.locator("#queue-line")).to_be_hidden()
        partner_choice.select_option(label="Eastside Food Pantry")
        mobile.get_by_label("What for (optional)").fill("Groceries and SNAP application")
        screenshot(mobile, "phone-clear-outcome-360.png")

        phone.set_offline(True)
        mobile.get_by_role("button", name="Clear call").click()
        expect(mobile.locator("#queue-line")).to_contain_text("Found, referred to a service", timeout=WAIT)
        expect(mobile.locator("#queue-line")).to_contain_text("offline")
        screenshot(mobile, "phone-clear-outcome-queued-360.png")
        assert Call.objects.get(pk=call.pk).status == "on_scene" and not CallOutcome.objects.exists()
        phone.set_offline(False)
        mobile.evaluate("window.dispatchEvent(new Event('online'))")
        expect(mobile.locator("#queue-line")).to_be_hidden(timeout=WAIT)
        expect(mobile.locator("#idle")).to_be_visible(timeout=WAIT)

        call.refresh_from_db()
        assert (call.status, call.disposition) == ("closed", "referred")
        assert CallOutcome.objects.get(call=call).outcome == "found_referred"
        referral = Referral.objects.get(call=call)
        assert (referral.partner, referral.service, referral.owner.username) == (
            partner,
            "Groceries and SNAP application",
            "cleo",
        )

        page = desk.new_page()
        sign_in(page, live_stack.url, "sue")
        page.goto(live_stack.url + "/reports/program_outcomes/")
        heading = page.get_by_role("heading", name="Community responders: outcome at clear")
        expect(heading).to_be_visible(timeout=WAIT)
        table = page.locator('table[data-table="community_outcomes"]')
        expect(table).to_contain_text("Found, referred to a service")
        heading.scroll_into_view_if_needed()
        screenshot(page, "reports-community-outcomes-1440.png")
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        phone.close()
        desk.close()
