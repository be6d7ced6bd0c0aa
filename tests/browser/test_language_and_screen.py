"""Issue 9: languages and the wider risk screen, as the desk (1440×900) and a responder's phone (360 px) see them.

- a language chosen by name at intake reaches the team that speaks it, though another team is closer;
- a language no free team speaks still reaches a team, with the interpreter line on the board, the call page
  and the phone;
- the wider screen, typed keyboard-first, gives the right tier with its reasons, one of them from the person's
  history.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from crisis.models import Person
from dispatch.models import Call, Triage
from responders.models import Team
from tests.conftest import CENTER
from tests.support.live_stack import off_loop
from tests.support.strands import assert_no_call_strands

from .test_live_journeys import DESK_1440, PHONE, SETTLE, WAIT, screenshot, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def take_call(page, base: str, *, language_label: str, nature: str) -> int:
    page.goto(f"{base}/dispatch/calls/new/")
    page.select_option("#id_source", "911")
    page.fill("#id_caller_name", "Daughter")
    page.fill("#id_callback_number", "312-555-0144")
    page.fill("#id_person_description", "Woman in her 60s")
    page.fill("#id_address", "1200 W Lake St")
    page.fill("#id_latitude", str(CENTER[0]))
    page.fill("#id_longitude", str(CENTER[1]))
    page.select_option("#id_call_type", "mental_health")
    page.fill("#id_nature", nature)
    page.select_option("#id_language", label=language_label)  # by name, as the dispatcher reads it
    page.click("#intake button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dispatch/calls/\d+/$"), timeout=WAIT)
    return int(page.url.rstrip("/").split("/")[-1])


def test_a_language_chosen_by_name_reaches_the_team_that_speaks_it(live_stack, chromium, dana, team_a, team_b):
    # Team B is now much closer, but only team A has a Spanish speaker (rita).
    off_loop(lambda: Team.objects.filter(pk=team_a.pk).update(latitude=CENTER[0] + 0.15))
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        call_id = take_call(page, live_stack.url, language_label="Spanish", nature="Confused, speaks only Spanish")
        expect(page.locator("dl.facts")).to_contain_text("speaks Spanish")
        page.check("input[name=intoxication]")
        page.click("form.screen button[type=submit]")
        page.goto(f"{live_stack.url}/dispatch/board/")
        row = page.locator(f'#calls tr[data-call="{call_id}"]')
        expect(row.locator("td.team")).to_contain_text("Team A", timeout=WAIT)
        expect(row.locator(".interpreter")).to_have_count(0)
        call = off_loop(Call.objects.get, pk=call_id)
        assert (call.language, call.interpreter_line) == ("es", "")
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()


def test_no_free_speaker_sends_the_call_with_an_interpreter_line_shown_on_the_phone(
    live_stack, chromium, dana, team_a, team_b
):
    from dispatch import team_state

    off_loop(team_state.team_set_status, team=team_a, status="out_of_service", by=dana)  # the Spanish speaker
    desk = chromium.new_context(viewport=DESK_1440)
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        mobile = phone.new_page()
        sign_in(mobile, live_stack.url, "bo")
        expect(mobile.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)

        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        call_id = take_call(page, live_stack.url, language_label="Spanish", nature="Mother not eating, hearing voices")
        page.check("input[name=intoxication]")
        page.click("form.screen button[type=submit]")

        offer = mobile.locator("#offer")
        expect(offer).to_be_visible(timeout=WAIT)
        expect(offer.locator(".interpreter")).to_contain_text(
            "Interpreter line: the person speaks Spanish", timeout=WAIT
        )
        screenshot(mobile, "phone-interpreter-offer.png")
        mobile.click("#accept")
        card = mobile.locator("#assignment")
        expect(card.locator(".interpreter")).to_contain_text("Spanish", timeout=WAIT)
        screenshot(mobile, "phone-interpreter-360.png")

        page.goto(f"{live_stack.url}/dispatch/calls/{call_id}/")
        expect(page.locator(".badge.interpreter")).to_contain_text("Interpreter line: no free team speaks Spanish")
        page.goto(f"{live_stack.url}/dispatch/board/")
        row = page.locator(f'#calls tr[data-call="{call_id}"]')
        expect(row.locator(".interpreter")).to_contain_text("Interpreter line (Spanish)", timeout=WAIT)
        screenshot(page, "board-interpreter-line.png")

        call = off_loop(Call.objects.get, pk=call_id)
        assert call.team_id == team_b.pk and call.interpreter_line == "es"
        assert off_loop(lambda: call.events.filter(kind="call.interpreter_line").count()) == 1
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
        phone.close()


def test_the_wider_screen_keyboard_first_gives_the_tier_with_reasons_from_history(
    live_stack, chromium, dana, team_a, team_b, new_call
):
    marcus = off_loop(Person.objects.create, first_name="Marcus", last_name="Hill", known_weapons_access=True)
    call = off_loop(new_call, person=marcus, nature="Says he wants to die, alone at home")
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        page.goto(f"{live_stack.url}/dispatch/calls/{call.pk}/")
        screen = page.locator("form.screen")
        # The acute items come first and the whole screen fits the desk's screen without scrolling.
        first = screen.locator("fieldset.screen-group").first
        expect(first.locator("legend")).to_have_text("Danger now")
        groups = [screen.locator("fieldset.screen-group").nth(i).bounding_box() for i in range(4)]
        assert len({round(g["y"]) for g in groups}) == 1, groups  # four columns side by side, not a long list
        # The whole screen and its button are on the first 1440×900 screen: no scrolling to record it.
        button = screen.get_by_role("button", name="Record triage").bounding_box()
        assert button["y"] + button["height"] <= DESK_1440["height"], button

        # Keyboard only: focus the first question and answer with the keys a dispatcher would press.
        page.focus("#id_imminent_danger")
        page.keyboard.press("n")  # No: not in danger this minute
        page.focus("#id_si_thoughts")
        page.keyboard.press("Space")
        page.focus("#id_psychosis")
        page.keyboard.press("n")
        page.focus("#id_age")
        page.keyboard.type("34")
        page.focus("#id_caller_relation")
        page.select_option("#id_caller_relation", "family")
        page.focus("#id_person_reachable")
        page.keyboard.press("y")
        page.focus("#id_phone_engaged")
        page.keyboard.press("Space")
        screenshot(page, "call-wider-screen-1440.png")
        page.click("form.screen button[type=submit]")

        rules = page.locator("#triage ul.rules")
        expect(rules.locator("li.from-history")).to_contain_text("From history: known access to weapons", timeout=WAIT)
        expect(rules).to_contain_text("Suicidal thoughts and access to lethal means")
        expect(page.locator("#triage")).to_contain_text("Priority 1")
        screenshot(page, "call-triage-from-history-1440.png")
        result = off_loop(Triage.objects.get, call=call)
        assert (result.priority, result.tier) == (1, "community")
        assert (result.imminent_danger, result.psychosis, result.lethal_means, result.age) == (False, False, None, 34)
        assert result.person_reachable is True and result.caller_relation == "family"
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()


def test_the_dispatcher_edits_the_needs_and_the_waiting_call_goes_to_a_team_that_has_them(
    live_stack, chromium, dana, team_a, team_b, new_call
):
    from dispatch import services
    from responders.models import TeamMember

    # The caller asks for a woman; only team B has a female responder (its clinician).
    off_loop(
        lambda: TeamMember.objects.filter(team=team_b, user__username="bo").update(specialties=["female_responder"])
    )
    call = off_loop(new_call, nature="Assaulted last night, frightened, asks for a woman")
    off_loop(services.call_triage, call=call, screen={"intoxication": True}, by=dana)
    desk = chromium.new_context(viewport=DESK_1440)
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        page.goto(f"{live_stack.url}/dispatch/board/")
        row = page.locator(f'#calls tr[data-call="{call.pk}"]')
        expect(row.locator("td.team")).to_contain_text("Team A", timeout=WAIT)  # the nearest, before the edit

        page.goto(f"{live_stack.url}/dispatch/calls/{call.pk}/")
        needs = page.locator("form.needs")
        expect(needs.locator("label.chip", has_text="A female responder").locator("input")).not_to_be_checked()
        needs.locator("label.chip", has_text="A female responder").click()
        screenshot(page, "call-needs-chips-1440.png")
        needs.get_by_role("button", name="Save needs").click()
        expect(page.get_by_role("status")).to_contain_text("Needs saved", timeout=WAIT)
        expect(page.locator("form.needs label.chip", has_text="A female responder").locator("input")).to_be_checked()

        page.goto(f"{live_stack.url}/dispatch/board/")
        expect(row.locator("td.team")).to_contain_text("Team B", timeout=WAIT)
        fresh = off_loop(Call.objects.get, pk=call.pk)
        assert fresh.needs_added == ["female_responder"]
        assert_no_call_strands(settle_seconds=SETTLE)
    finally:
        desk.close()
