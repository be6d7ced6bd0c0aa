"""The team the clinician sends to an officer, followed live on the officer's tablet (800×1280), against uvicorn
+ a Celery worker + PostgreSQL + Redis: which team is coming, its ETA moving with the team's position, and the
team on scene, all over the consult's own socket."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dispatch import services as dispatch
from dispatch.models import Assignment, Call, Status
from programs.le_consult.models import Consult
from tests.browser.test_live_journeys import SETTLE, WAIT, screenshot, sign_in
from tests.conftest import CENTER
from tests.support.strands import assert_no_call_strands

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


def test_the_officer_sees_which_team_is_coming_and_its_eta_live(live_stack, chromium, on_call, oli, cam, team_a):
    base = live_stack.url
    tablet = chromium.new_context(
        viewport=TABLET,
        has_touch=True,
        geolocation={"latitude": CENTER[0], "longitude": CENTER[1], "accuracy": 10},
        permissions=["geolocation"],
    )
    desk = chromium.new_context(viewport=DESK)
    try:
        officer = tablet.new_page()
        sign_in(officer, base, "oli")
        officer.goto(base + PAGE)
        expect(officer.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        expect(officer.locator("#place")).to_have_attribute("data-state", "found", timeout=WAIT)
        officer.fill("#description", "Woman in the street, confused, refusing to go home")
        officer.get_by_role("button", name="A team").tap()
        officer.get_by_role("button", name="Request consult").tap()
        card = officer.locator("article.consult").first
        expect(card.locator('[data-role="who"]')).to_contain_text("Waiting for", timeout=WAIT)
        consult = Consult.objects.get()

        clinician = desk.new_page()
        sign_in(clinician, base, "cam")
        clinician.goto(base + PAGE)
        desk_card = clinician.locator(f'article[data-consult="{consult.pk}"]')
        desk_card.get_by_role("button", name="Accept").click()
        expect(card.locator('[data-role="who"]')).to_contain_text("Handled by Cam", timeout=WAIT)
        # Only the clinician handling it may send a team; the officer's card has no such button.
        expect(card.get_by_role("button", name="Send a team to the officer")).to_be_hidden()
        desk_card.get_by_role("button", name="Send a team to the officer").click()

        team = card.locator('[data-role="team"]')
        expect(team).to_contain_text("Team A is being asked to come", timeout=WAIT)
        expect(team).to_contain_text("ETA")
        expect(desk_card.get_by_role("button", name="Send a team to the officer")).to_be_hidden()
        consult.refresh_from_db()
        offer = Assignment.objects.get(call_id=consult.call_id)
        dispatch.assignment_accept(assignment=offer, by=team_a.members.get(user__username="rita").user)
        expect(team).to_contain_text("Team A is on its way", timeout=WAIT)
        expect(team).to_have_attribute("data-state", "coming")
        first_eta = team.locator('[data-role="eta"]').get_attribute("data-eta")

        # The team reports a position farther out: the officer's ETA moves, without a reload.
        team_a.refresh_from_db()
        rita = team_a.members.get(user__username="rita").user
        dispatch.team_report_location(team=team_a, latitude=CENTER[0] + 0.06, longitude=CENTER[1], by=rita)
        expect(team.locator('[data-role="eta"]')).not_to_have_attribute("data-eta", first_eta, timeout=WAIT)
        screenshot(officer, "consult-tablet-team-eta.png")
        screenshot(clinician, "consult-desk-team-sent.png")

        call = Call.objects.get(pk=consult.call_id)
        for step in (Status.EN_ROUTE, Status.ON_SCENE):
            call = dispatch.call_advance(call=call, to=step, by=rita)
        expect(team).to_contain_text("Team A is on scene", timeout=WAIT)
        screenshot(officer, "consult-tablet-team-arrived.png")
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        tablet.close()
        desk.close()
