"""The program outcomes report in Chromium as a supervisor (1440×900): officer consults by outcome and diverted
calls by result, per day, and a CSV download that is audited; the phone-then-field pairs behind it, one page of
100 at a time, newest first, with page links that keep the range."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crisis.models import AuditEntry, Person
from dispatch.models import Call
from programs.diversion.models import Diversion
from programs.le_consult.models import Consult
from programs.models import Program
from reports.phone_then_field import PAIRS_PAGE_SIZE
from tests.browser.test_live_journeys import WAIT, screenshot, sign_in
from tests.conftest import make_user
from tests.reports.world import mk
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_a_supervisor_reads_program_outcomes_and_downloads_them(live_stack, chromium, sue, oli, cam, dana):
    kit = make_user("kit", "clinician")
    program = Program.objects.create(name="Officer consults", kind="le_remote_consult", tiers=[])
    now = timezone.now()
    for outcome in ("arrest_avoided", "arrest_avoided", "crisis_centre", "team_sent"):
        Consult.objects.create(
            officer=oli, program=program, clinician=cam, backup=kit, need="advice", address="1 Main St",
            status="closed", requested_at=now - timedelta(hours=1), escalate_at=now, closed_at=now, outcome=outcome,
        )  # fmt: skip
    pat = Person.objects.create(first_name="Pat", last_name="Caller")
    phone = dict(status="closed", disposition="resolved_by_phone", closed=1800, person=pat)
    diverted = []
    for n, status in enumerate(("resolved", "resolved", "escalated")):
        call = mk(now - timedelta(hours=3), **(phone if n == 0 else {}))
        diverted.append(call)
        Diversion.objects.create(
            call=call, cad_incident_id=f"CAD-{n}", transferred_by=dana, status=status, ended_at=now,
        )  # fmt: skip
    # Pat rang again an hour after the phone resolution and a team took that call ten minutes later.
    later = mk(now - timedelta(hours=1, minutes=30), person=pat, assigned=600)
    # A page and one more of older pairs (days ago, in the default 30 days): the list is paged, newest first.
    older = _older_pairs(now, PAIRS_PAGE_SIZE)
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    try:
        page = context.new_page()
        sign_in(page, live_stack.url, "sue")
        page.goto(live_stack.url + "/reports/program_outcomes/")
        consults = page.locator("table").filter(has_text="Arrest avoided")
        expect(consults).to_be_visible(timeout=WAIT)
        total = consults.locator("tr", has_text="Total")
        expect(total).to_contain_text("2")
        expect(page.get_by_role("heading", name="Officer consults: what they changed")).to_be_visible()
        expect(page.get_by_role("heading", name="911 diversion: how diverted calls ended")).to_be_visible()
        screenshot(page, "reports-program-outcomes.png")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV : Officer consults: what they changed").click()
        assert download.value.suggested_filename.startswith("program_outcomes-consults-")
        entry = AuditEntry.objects.get(action="dispatch.report.exported")
        assert entry.actor == sue and entry.detail["report"] == "program_outcomes"

        # Resolved by phone, then a field team within 24 h: the diverted row, then the pairs behind it.
        phone_table = page.locator('table[data-table="phone_then_field"]')
        diverted_row = phone_table.locator("tr", has_text="Diverted from police dispatch")
        expect(diverted_row).to_contain_text("1")
        expect(diverted_row).to_contain_text("100")
        page.get_by_role("link", name="See the pairs").click()
        pairs = page.locator('table[data-table="pairs"]')
        expect(pairs).to_contain_text("person", timeout=WAIT)
        # The newest pair first; the summary still counts every pair of the range.
        expect(pairs.locator("tbody tr").first.get_by_role("link", name=str(later.pk))).to_be_visible()
        expect(pairs.locator("tbody tr")).to_have_count(PAIRS_PAGE_SIZE)
        summary = page.locator('table[data-table="summary"]').locator("tr", has_text="All calls resolved by phone")
        expect(summary).to_contain_text(str(PAIRS_PAGE_SIZE + 1))
        expect(page.get_by_text(f"Showing {PAIRS_PAGE_SIZE} of {PAIRS_PAGE_SIZE + 1} (page 1)")).to_be_visible()
        screenshot(page, "reports-phone-then-field.png")
        viewed = AuditEntry.objects.get(action="reports.calls.viewed")
        assert viewed.actor == sue and {diverted[0].pk, later.pk} <= set(viewed.detail["calls"])
        assert len(viewed.detail["calls"]) == 2 * PAIRS_PAGE_SIZE  # the pairs shown, not the oldest one

        # A chosen range is kept by the page links.
        end = timezone.localdate(now)
        start = end - timedelta(days=29)
        page.goto(f"{live_stack.url}/reports/phone_then_field/?start={start}&end={end}")
        page.get_by_role("link", name="Next page").click()
        page.wait_for_url(re.compile(rf"/reports/phone_then_field/\?start={start}&end={end}&page=2$"), timeout=WAIT)
        expect(pairs.locator("tbody tr")).to_have_count(1)
        oldest_phone, oldest_later = older[0]
        expect(pairs.get_by_role("link", name=str(oldest_later.pk))).to_be_visible()
        expect(page.get_by_text(f"Showing 1 of {PAIRS_PAGE_SIZE + 1} (page 2)")).to_be_visible()
        expect(page.get_by_label("From")).to_have_value(str(start))
        screenshot(page, "reports-phone-then-field-page-2.png")
        page.get_by_role("link", name="Previous page").click()
        page.wait_for_url(re.compile(rf"/reports/phone_then_field/\?start={start}&end={end}&page=1$"), timeout=WAIT)
        expect(pairs.locator("tbody tr")).to_have_count(PAIRS_PAGE_SIZE)
        assert (
            AuditEntry.objects.filter(action="reports.calls.viewed", detail__calls__contains=[oldest_phone.pk]).count()
            == 1
        )
    finally:
        context.close()
    assert_no_call_strands()


def _older_pairs(now, n: int) -> list[tuple[Call, Call]]:
    """`n` calls resolved by phone 2 to 20 days ago, each about its own person, each followed an hour later by a
    call that a team took: oldest first."""
    people = Person.objects.bulk_create(Person(first_name=f"Caller{i}", last_name="Older") for i in range(n))
    base = dict(source="911", address="1 Main St", call_type="mental_health", nature="x", area_type="urban")
    out = []
    for i, person in enumerate(people):
        t = now - timedelta(days=20) + timedelta(hours=4 * i)
        phone = Call(received_at=t, rang_at=t, status="closed", disposition="resolved_by_phone",
                     closed_at=t + timedelta(minutes=20), person=person, **base)  # fmt: skip
        later = Call(received_at=t + timedelta(hours=1), rang_at=t + timedelta(hours=1),
                     assigned_at=t + timedelta(hours=1, minutes=10), person=person, **base)  # fmt: skip
        out.append((phone, later))
    Call.objects.bulk_create([c for pair in out for c in pair])
    return out
