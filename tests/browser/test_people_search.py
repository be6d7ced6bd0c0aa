"""Finding a person and merging a duplicate, in Chromium: the desk at 1440x900, a case manager at 360 px."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from crisis.models import Alias, Person
from dispatch.models import Call
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


def test_find_a_person_then_a_supervisor_merges_the_duplicate(dana, sue, rita, new_call, live_stack, chromium):
    def world():
        kept = Person.objects.create(
            first_name="Inés", last_name="Muñoz", date_of_birth=date(1979, 4, 12), phone="312-555-0163"
        )
        Alias.objects.create(person=kept, name="Nessie")
        dup = Person.objects.create(first_name="Ines", last_name="Munoz", date_of_birth=date(1979, 4, 12))
        Person.objects.create(first_name="Inez", last_name="Moreno", date_of_birth=date(1985, 1, 2))
        call = new_call(person=dup)
        return kept, dup, call

    kept, dup, call = off_loop(world)
    desk = chromium.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = desk.new_page()
        sign_in(page, live_stack.url, "dana")
        page.get_by_role("link", name="Find a person").click()
        page.fill("#id_name", "ines munoz")
        page.get_by_role("button", name="Search").click()
        results = page.locator("#results li[data-person]")
        expect(results).to_have_count(2, timeout=WAIT)
        expect(page.locator(f'#results li[data-person="{kept.pk}"]')).to_contain_text("possible duplicate")
        expect(page.locator(f'#results li[data-person="{kept.pk}"]')).to_contain_text("also known as Nessie")
        screenshot(page, "people-search-1440.png")
        page.fill("#id_name", "")
        page.fill("#id_phone", "(312) 555 0163")
        page.get_by_role("button", name="Search").click()
        expect(results).to_have_count(1, timeout=WAIT)
        expect(results.first).to_contain_text("Inés Muñoz")
    finally:
        desk.close()

    phone = chromium.new_context(viewport={"width": 360, "height": 740})
    try:
        page = phone.new_page()
        sign_in(page, live_stack.url, "rita")
        page.goto(f"{live_stack.url}/people/?name=nessie")
        expect(page.locator("#results li[data-person]")).to_have_count(1, timeout=WAIT)
        screenshot(page, "people-search-360.png")
    finally:
        phone.close()

    sup = chromium.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = sup.new_page()
        sign_in(page, live_stack.url, "sue")
        page.goto(f"{live_stack.url}/people/duplicates/")
        pair = page.locator(f'.dup-pair[data-pair="{kept.pk}-{dup.pk}"]')
        expect(pair).to_contain_text("Same date of birth, similar name", timeout=WAIT)
        keep_side = pair.locator(f'.dup-person[data-person="{kept.pk}"]')
        # No reason: the browser refuses to send the form, nothing is merged.
        keep_side.get_by_role("button").click()
        expect(page.locator("#merged-note")).to_have_count(0)
        keep_side.get_by_label("Why these are the same person").fill("Same birthday; intake typed the name bare")
        screenshot(page, "people-duplicates-1440.png")
        keep_side.get_by_role("button").click()
        note = page.locator("#merged-note")
        expect(note).to_contain_text(f"#{dup.pk} was merged into #{kept.pk} Inés Muñoz", timeout=WAIT)
        expect(page.locator(".dup-pair")).to_have_count(0)
        screenshot(page, "people-merged-1440.png")
        page.goto(f"{live_stack.url}/people/{kept.pk}/")
        expect(page.locator("#story")).to_contain_text(f"Call #{call.pk}", timeout=WAIT)
        page.goto(f"{live_stack.url}/people/{dup.pk}/")
        expect(page.locator("#merged-away")).to_contain_text(f"merged into person #{kept.pk}", timeout=WAIT)
    finally:
        sup.close()

    assert off_loop(lambda: Call.objects.get(pk=call.pk).person_id) == kept.pk
    off_loop(assert_no_call_strands)
