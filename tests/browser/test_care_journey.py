"""Care after the call in Chromium: one person from a call through a referral, a follow-up and a stabilization
episode to discharge, on the workers' phones (360 px), then the supervisor's reports (1440×900) counting what this
test made; and an escalation of a stalled hand-off arriving live on "my caseload today"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crisis.models import User
from dispatch.models import Call
from programs import escalations
from programs.community_responders.models import Partner, Referral
from programs.crisis_stabilization.models import Episode
from programs.mobile_crisis.models import FollowUp
from reports.filters import Filters
from reports.registry import build
from tests.browser.test_live_journeys import DESK_1440, PHONE, SETTLE, WAIT, screenshot, sign_in
from tests.support.live_stack import off_loop
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _wait_until(page, predicate: str, arg=None) -> None:
    """page.wait_for_function evaluates its predicate as a string in the page, which the Content-Security-Policy
    (no 'unsafe-eval') refuses; page.evaluate is not subject to it, so poll with that."""
    deadline = timezone.now() + timedelta(milliseconds=WAIT)
    while not page.evaluate(predicate, arg):
        assert timezone.now() < deadline, f"still false after {WAIT} ms: {predicate}"
        page.wait_for_timeout(100)


def _referral_step(page, referral_pk: int, status: str, due: str = "") -> None:
    card = page.locator(f"#referral-{referral_pk}")
    card.locator("summary").click()
    card.get_by_label("New status").select_option(status)
    if due:
        card.get_by_label("Next step due (e.g. the appointment)").fill(due)
    card.get_by_role("button", name="Save status").click()


def test_one_person_from_call_to_discharge_then_the_reports(
    dana, rita, sue, team_a, person, new_call, cora, stab_team, live_stack, chromium
):
    def world():
        # The call about Marcus Hill as the intake page saves it (taking a call in the browser is walked in
        # test_live_journeys); everything after it happens in the browser, routed by the real worker.
        call = new_call(person=person, nature="Marcus Hill shouting at the neighbours, paranoid")
        Partner.objects.create(name="Northside Clinic", services="Outpatient psychiatry", phone="312-555-0150")
        return call.pk

    call_id = off_loop(world)
    desk = chromium.new_context(viewport=DESK_1440)
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        # The dispatcher triages it on the call's page; the worker offers it to team A, the free eligible team.
        board = desk.new_page()
        sign_in(board, live_stack.url, "dana")
        expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        page = phone.new_page()
        sign_in(page, live_stack.url, "rita")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        board.goto(f"{live_stack.url}/dispatch/calls/{call_id}/")
        board.click("form.screen button[type=submit]")
        board.goto(f"{live_stack.url}/dispatch/board/")
        board_row = board.locator(f'#calls tr[data-call="{call_id}"]')
        expect(board_row.locator("td.team")).to_contain_text("Team A", timeout=WAIT)

        # Rita, on the phone at 360 px: the offer arrives without a reload; she accepts and taps through to clear.
        expect(page.locator("#offer")).to_contain_text(f"#{call_id}", timeout=WAIT)
        _fits(page)
        screenshot(page, "journey-offer-360.png")
        page.click("#accept")
        status = page.locator("#call-status")
        expect(status).to_have_attribute("data-status", "assigned", timeout=WAIT)
        for label, value in (("En route", "en_route"), ("On scene", "on_scene")):
            page.get_by_role("button", name=label, exact=True).click()
            expect(status).to_have_attribute("data-status", value, timeout=WAIT)
            expect(board_row).to_have_attribute("data-status", value, timeout=WAIT)
        # Team A is mobile crisis: its clear form asks no community responders' questions (the referral comes
        # next, from the referrals page, as a case manager sends it after the visit).
        expect(page.locator("#clear-outcome")).to_have_count(0)
        page.select_option("#disposition", "stabilized")
        _fits(page)
        screenshot(page, "journey-on-scene-360.png")
        page.click("#clear")
        expect(page.locator("#idle")).to_be_visible(timeout=WAIT)
        expect(page.locator("#queue-line")).to_be_hidden(timeout=WAIT)
        expect(board_row).to_have_count(0, timeout=WAIT)
        expect(board.locator(f'#teams tr[data-team="{team_a.pk}"]')).to_have_attribute(
            "data-status", "available", timeout=WAIT
        )

        def cleared():
            call = Call.objects.get(pk=call_id)
            assert (call.status, call.disposition, call.person_id) == ("closed", "stabilized", person.pk)
            # Closing it scheduled the follow-up the 72-hour standard measures; its due time has just passed (the
            # configured 24-72 h ran out): first on today's caseload.
            follow_up = FollowUp.objects.get(call_id=call_id, completed_at__isnull=True)
            FollowUp.objects.filter(pk=follow_up.pk).update(due_at=timezone.now() - timedelta(minutes=30))
            return follow_up

        follow_up = off_loop(cleared)

        # Rita's day starts on her caseload: the follow-up is due, linked to its record.
        page.get_by_role("link", name="My caseload").first.click()
        row = page.locator(f'li[data-key^="mobile_crisis.followup:{follow_up.pk}:"]')
        expect(row).to_contain_text(f"after call #{call_id}", timeout=WAIT)
        _fits(page)
        screenshot(page, "journey-caseload-360.png")

        # Referral, closed loop: sent → accepted → appointment → attended.
        page.goto(f"{live_stack.url}/programs/community_responders/referrals/")
        page.get_by_label("Call number").fill(str(call_id))
        page.get_by_label("Partner").select_option(label="Northside Clinic")
        page.get_by_label("Service").fill("Psychiatry intake")
        page.get_by_role("button", name="Send referral").click()
        expect(page.locator(".messages")).to_contain_text("Referral to Northside Clinic sent.", timeout=WAIT)
        referral = off_loop(lambda: Referral.objects.get(call_id=call_id))
        _referral_step(page, referral.pk, "accepted")
        expect(page.locator(f"#referral-{referral.pk}")).to_contain_text("Accepted by the partner", timeout=WAIT)
        appointment = timezone.localtime() + timedelta(days=2)
        _referral_step(page, referral.pk, "appointment", appointment.strftime("%Y-%m-%dT%H:%M"))
        expect(page.locator(f"#referral-{referral.pk}")).to_contain_text("Appointment made", timeout=WAIT)
        _fits(page)
        screenshot(page, "journey-referral-360.png")
        _referral_step(page, referral.pk, "attended")
        expect(page.locator(f"#referral-{referral.pk}")).to_have_count(0, timeout=WAIT)  # the loop closed

        # The follow-up, from the caseload's link.
        page.goto(f"{live_stack.url}/programs/care/")
        row.get_by_role("link").click()
        card = page.locator(f"#follow-up-{follow_up.pk}")
        card.locator("summary").click()
        card.get_by_label("Reached", exact=True).check()
        card.get_by_label("Phone").check()
        card.get_by_label("Note").fill("Calmer; agreed to a few days of stabilization support")
        card.get_by_label("Next step").fill("Stabilization team")
        card.get_by_role("button", name="Save and close follow-up").click()
        expect(page.locator(".messages")).to_contain_text(f"call #{call_id} recorded", timeout=WAIT)
    finally:
        phone.close()
        desk.close()

    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        sign_in(page, live_stack.url, "cora")
        # Stabilization episode: opened from the person's number, a contact, then the discharge.
        page.goto(f"{live_stack.url}/programs/crisis_stabilization/?person={person.pk}#open-episode")
        page.get_by_label("Goals").fill("Stay home safely; outpatient intake at Northside")
        page.get_by_label("Planned end").fill((timezone.localdate() + timedelta(days=7)).isoformat())
        page.get_by_role("button", name="Open episode").click()
        expect(page.locator(".messages")).to_contain_text("Stabilization episode opened for Marcus Hill", timeout=WAIT)
        page.goto(f"{live_stack.url}/programs/care/")
        expect(page.locator("#caseload-list")).to_contain_text("Stabilization contact with Marcus Hill", timeout=WAIT)
        _fits(page)
        screenshot(page, "journey-caseload-episode-360.png")
        page.get_by_role("link", name="Stabilization contact with Marcus Hill").click()
        page.get_by_text("Record a contact").click()
        page.get_by_label("How", exact=True).select_option("visit")
        page.locator("#id_contact-note").fill("Home, sister staying; intake booked")
        page.get_by_label("Next contact due").fill(
            (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        )
        page.get_by_role("button", name="Save contact").click()
        expect(page.locator(".messages")).to_contain_text("Contact recorded.", timeout=WAIT)
        page.get_by_text("Close the episode…").click()
        page.get_by_label("Outcome").select_option("stabilized")
        page.get_by_role("button", name="Close episode").click()
        expect(page.locator("section.card").first).to_contain_text("Stable in the community", timeout=WAIT)
    finally:
        phone.close()

    def records():
        fu = FollowUp.objects.get(pk=follow_up.pk)
        return (
            fu.completed_at is not None and fu.reached,
            Referral.objects.get(call_id=call_id).status,
            Episode.objects.get(person=person).outcome,
        )

    assert off_loop(records) == (True, "attended", "stabilized")

    # The supervisor's reports count what this test made.
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "sue")
        today = timezone.localdate()
        page.goto(f"{live_stack.url}/reports/program_outcomes/?start={today - timedelta(days=6)}&end={today}")
        stab = page.locator("table").filter(has_text="Avoided admission")
        expect(stab.locator("tr", has_text="Total")).to_contain_text("100.0%", timeout=WAIT)
        loop = page.locator("table").filter(has_text="Loop closed (attended)")
        expect(loop.locator("tr", has_text="Total")).to_contain_text("100.0%")
        screenshot(page, "journey-reports-outcomes-1440.png")
        page.goto(f"{live_stack.url}/reports/standards/?start={today - timedelta(days=6)}&end={today}")
        expect(page.locator("table").first).to_contain_text("follow-up", ignore_case=True, timeout=WAIT)
        screenshot(page, "journey-reports-standards-1440.png")
    finally:
        desk.close()

    def follow_up_standard():
        report = build("standards", Filters(start=today - timedelta(days=6), end=today))
        row = next(r for r in report.tables["summary"].rows if r["key"] == "follow_up")
        return row["measured"], row["met"]

    assert off_loop(follow_up_standard) == (1, 1)
    off_loop(lambda: assert_no_call_strands(settle_seconds=SETTLE))


def test_a_stalled_contact_escalates_live_to_the_owner_then_the_supervisor(
    sue, person, cora, episode, live_stack, chromium, settings
):
    settings.CARE_ESCALATION_GRACE_MINUTES = 30
    off_loop(lambda: Episode.objects.filter(pk=episode.pk).update(due_at=timezone.now() - timedelta(minutes=5)))
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = phone.new_page()
        sign_in(page, live_stack.url, "cora")
        page.goto(f"{live_stack.url}/programs/care/")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        expect(page.locator(".escalations")).to_have_count(0)
        # The beat's run, as the worker does it: the owner hears at once, without reloading.
        off_loop(lambda: escalations.escalations_raise(now=timezone.now()))
        alert = page.locator(".escalations")
        expect(alert).to_contain_text("Stabilization contact with Marcus Hill", timeout=WAIT)
        _fits(page)
        screenshot(page, "caseload-escalated-360.png")

        sup = desk.new_page()
        sign_in(sup, live_stack.url, "sue")
        sup.goto(f"{live_stack.url}/programs/care/")
        expect(sup.locator("h1")).to_contain_text("Caseloads today", timeout=WAIT)
        expect(sup.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        expect(sup.locator("h2", has_text="Crisis stabilization")).to_be_visible()
        expect(sup.locator(".escalations")).to_have_count(0)
        # Still stalled after the grace: the supervisors hear of it, live.
        off_loop(lambda: escalations.escalations_raise(now=timezone.now() + timedelta(minutes=31)))
        expect(sup.locator(".escalations")).to_contain_text("supervisor", timeout=WAIT)
        screenshot(sup, "caseload-supervisor-1440.png")
        sup.locator(".escalations").get_by_role("button", name="Acknowledge").click()
        expect(sup.locator(".messages")).to_contain_text("Acknowledged", timeout=WAIT)
        expect(sup.locator(".escalations")).to_have_count(0)

        page.locator(".escalations").get_by_role("button", name="Acknowledge").click()
        expect(page.locator(".messages")).to_contain_text("Acknowledged", timeout=WAIT)
    finally:
        phone.close()
        desk.close()
    acknowledged = off_loop(
        lambda: sorted(
            User.objects.get(pk=e.acknowledged_by_id).username
            for e in escalations.Escalation.objects.filter(acknowledged_at__isnull=False)
        )
    )
    assert acknowledged == ["cora", "sue"]
    off_loop(assert_no_call_strands)


def test_an_escalation_during_a_slow_first_read_of_the_list_still_shows(person, cora, episode, live_stack, chromium):
    """The page reads its list again on every escalation; one that arrives while the first read is still on its
    way must be read once more, not dropped (under load the first read is slow, and CI lost the alert)."""
    off_loop(lambda: Episode.objects.filter(pk=episode.pk).update(due_at=timezone.now() - timedelta(minutes=5)))
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        sign_in(page, live_stack.url, "cora")
        held = []

        def hold_first_read(route):
            # The first read of the list is answered as the server had it *before* the escalation, but only
            # after the escalation's event has reached the page.
            if held:
                route.continue_()
            else:
                held.append((route, route.fetch()))

        page.route(lambda url: "part=list" in url, hold_first_read)
        page.goto(f"{live_stack.url}/programs/care/")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        deadline = timezone.now() + timedelta(seconds=20)
        while not held and timezone.now() < deadline:
            page.wait_for_timeout(100)
        assert held, "the page never read its list"
        seen = page.evaluate("() => Object.values(window.crisisCaseload.lastSeq)")
        off_loop(lambda: escalations.escalations_raise(now=timezone.now()))
        _wait_until(
            page,
            "(before) => JSON.stringify(Object.values(window.crisisCaseload.lastSeq)) !== JSON.stringify(before)",
            seen,
        )
        route, stale = held[0]
        route.fulfill(response=stale)
        expect(page.locator(".escalations")).to_contain_text("Stabilization contact with Marcus Hill", timeout=WAIT)
    finally:
        phone.close()
    off_loop(assert_no_call_strands)


def test_a_stalled_hand_off_reaches_the_responders_phone_page_live(person, cora, episode, live_stack, chromium):
    """Not only "my caseload today": the phone a responder has open on shift shows the escalation, live."""
    off_loop(lambda: Episode.objects.filter(pk=episode.pk).update(due_at=timezone.now() - timedelta(minutes=5)))
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        sign_in(page, live_stack.url, "cora")
        page.goto(f"{live_stack.url}/responder/")
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
        alerts = page.locator("#care-alerts")
        expect(alerts).to_be_hidden()
        _wait_until(page, "() => window.crisisCareAlerts && window.crisisCareAlerts.state === 'live'")
        off_loop(lambda: escalations.escalations_raise(now=timezone.now()))
        expect(alerts).to_contain_text("Stabilization contact with Marcus Hill", timeout=WAIT)
        expect(alerts).to_contain_text("Overdue hand-offs: 1")
        _fits(page)
        screenshot(page, "phone-escalation-360.png")
        alerts.get_by_role("button", name="Acknowledge").click()
        expect(alerts).to_be_hidden(timeout=WAIT)
    finally:
        phone.close()
    escalation = off_loop(lambda: escalations.Escalation.objects.get())
    assert escalation.acknowledged_at is not None
    assert off_loop(lambda: User.objects.get(pk=escalation.acknowledged_by_id).username) == "cora"
    off_loop(assert_no_call_strands)


def test_the_phone_keeps_its_escalations_for_when_the_server_cannot_be_reached(
    person, cora, episode, live_stack, chromium
):
    """The phone's own copy of its open escalations: opened where no request reaches the server, it still shows
    them, marked as not live; acknowledged, the copy is gone too."""
    off_loop(lambda: Episode.objects.filter(pk=episode.pk).update(due_at=timezone.now() - timedelta(minutes=5)))
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = phone.new_page()
        sign_in(page, live_stack.url, "cora")
        page.goto(f"{live_stack.url}/responder/")
        _wait_until(page, "() => window.crisisCareAlerts && window.crisisCareAlerts.state === 'live'")
        off_loop(lambda: escalations.escalations_raise(now=timezone.now()))
        alerts = page.locator("#care-alerts")
        expect(alerts).to_contain_text("Stabilization contact with Marcus Hill", timeout=WAIT)
        expect(alerts.locator("#care-alerts-copy")).to_have_count(0)

        # No signal for the server's reads (the page itself comes back, as a restored tab does).
        def no_signal(url: str) -> bool:
            return "/api/" in url

        page.route(no_signal, lambda route: route.abort("internetdisconnected"))
        page.reload()
        expect(alerts).to_contain_text("Stabilization contact with Marcus Hill", timeout=WAIT)
        expect(alerts.locator("#care-alerts-copy")).to_contain_text("Not live")
        _fits(page)
        screenshot(page, "phone-escalation-offline-copy-360.png")

        page.unroute(no_signal)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        expect(alerts.locator("#care-alerts-copy")).to_have_count(0, timeout=WAIT)
        # Signing out drops the copy: the names do not stay on a phone handed to the next shift.
        copies = "() => Object.keys(localStorage).filter(k => k.startsWith('crisis.escalations.'))"
        assert len(page.evaluate(copies)) == 1
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/login/"), timeout=WAIT)
        assert page.evaluate(copies) == []
        sign_in(page, live_stack.url, "cora")
        page.goto(f"{live_stack.url}/responder/")
        alerts.get_by_role("button", name="Acknowledge").click()
        expect(alerts).to_be_hidden(timeout=WAIT)

        page.route(no_signal, lambda route: route.abort("internetdisconnected"))
        page.reload()
        expect(page.locator("#conn")).not_to_have_attribute("data-state", "live")
        expect(alerts).to_be_hidden()
        assert page.evaluate(copies) == []
    finally:
        phone.close()
    assert off_loop(lambda: escalations.Escalation.objects.get().acknowledged_at) is not None
    off_loop(assert_no_call_strands)
