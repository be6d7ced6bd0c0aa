"""The standards report in Chromium as a supervisor (1440×900), read from the kept per-day counts
(reports/rollup.py): a follow-up recorded on a call from two days ago shows on the next load, as it would have
when every figure was counted from the calls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dispatch.models import Status
from programs.mobile_crisis.models import FollowUp
from programs.mobile_crisis.services import follow_up_record
from reports.models import KeptDay
from tests.browser.test_live_journeys import WAIT, screenshot, sign_in
from tests.reports.world import mk
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

FOLLOW_UP = "Follow-up contact within 72 h"
# The summary's cells after the standard's name: target, goal, measured, met, breached, share, goal met, pending.
MEASURED, MET, SHARE, PENDING = 2, 3, 5, 7


def test_a_follow_up_recorded_on_a_kept_day_shows_on_the_next_load(
    live_stack, chromium, sue, rita, team_a, mobile_crisis
):
    now = timezone.now()
    # A field response two days ago: on scene, closed, its follow-up still open with about a day left on the clock.
    call = mk(now - timedelta(days=2, hours=1), triaged=10, assigned=60, arrived=600, closed=1600, tier="community",
              team=team_a, program=mobile_crisis, disposition="stabilized", status=Status.CLOSED)  # fmt: skip
    follow_up = FollowUp.objects.create(call=call, team=team_a, due_at=call.arrived_at + timedelta(hours=24))
    day = timezone.localtime(call.received_at).date()
    today = timezone.localdate(now)
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, live_stack.url, "sue")
        page.goto(
            f"{live_stack.url}/reports/standards/?start={today - timedelta(days=6)}&end={today}&standard=follow_up"
        )
        row = page.locator('table[data-table="summary"] tr', has_text=FOLLOW_UP)
        expect(row.locator("td").nth(PENDING)).to_have_text("1", timeout=WAIT)
        expect(row.locator("td").nth(MEASURED)).to_have_text("0")
        screenshot(page, "reports-standards-pending.png")
        # The page kept the day's counts, good until the follow-up's 72 hours run out.
        stamp = KeptDay.objects.get(day=day)
        assert not stamp.stale and stamp.good_until == call.arrived_at + timedelta(hours=72)

        follow_up_record(follow_up=follow_up, by=rita, reached=True, note="Home, safe; outpatient intake booked")
        assert KeptDay.objects.get(day=day).stale

        page.reload()
        expect(row.locator("td").nth(MEASURED)).to_have_text("1", timeout=WAIT)
        expect(row.locator("td").nth(MET)).to_have_text("1")
        expect(row.locator("td").nth(SHARE)).to_have_text("100.0%")
        expect(row.locator("td").nth(PENDING)).to_have_text("0")
        screenshot(page, "reports-standards-follow-up-met.png")
        assert not KeptDay.objects.get(day=day).stale  # counted again, with the follow-up
    finally:
        context.close()
    assert_no_call_strands()
