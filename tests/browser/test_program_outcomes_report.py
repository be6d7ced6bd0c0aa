"""The program outcomes report in Chromium as a supervisor (1440×900): officer consults by outcome and diverted
calls by result, per day, and a CSV download that is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crisis.models import AuditEntry, Person
from programs.diversion.models import Diversion
from programs.le_consult.models import Consult
from programs.models import Program
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
        expect(pairs.get_by_role("link", name=str(later.pk))).to_be_visible()
        screenshot(page, "reports-phone-then-field.png")
        viewed = AuditEntry.objects.get(action="reports.calls.viewed")
        assert viewed.actor == sue and viewed.detail["calls"] == sorted([diverted[0].pk, later.pk])
    finally:
        context.close()
    assert_no_call_strands()
