"""The standards and intervals reports in Chromium as a supervisor (1440×900), read from kept days
(reports/rollup.py, keep.py): a follow-up recorded on a call from two days ago shows on the next load, and the
intervals read the same from kept days as from the calls."""

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


def test_the_intervals_by_hour_from_kept_days_and_from_the_calls_agree(
    live_stack, chromium, sue, team_a, mobile_crisis
):
    """Three field calls two days ago (kept once the page has counted them) and one this morning (always counted
    from the calls): the medians and the hour rows are the same on the first load and the next."""
    now = timezone.now()
    recent = now - timedelta(minutes=50)
    hour = (timezone.localtime(recent).hour + 12) % 24  # never the recent call's hour
    two_days_ago = timezone.localtime(now - timedelta(days=2)).replace(hour=hour, minute=0, second=0, microsecond=0)
    field = dict(tier="community", team=team_a, program=mobile_crisis, disposition="stabilized", status=Status.CLOSED)
    for minutes in (10, 20, 30):  # assigned at +60 s, on scene `minutes` later
        mk(two_days_ago, triaged=10, assigned=60, arrived=60 + minutes * 60, closed=4000, **field)
    mk(recent, triaged=10, assigned=60, arrived=60 + 40 * 60, closed=2900, **field)
    today = timezone.localdate(now)
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, live_stack.url, "sue")
        url = f"{live_stack.url}/reports/intervals/?start={today - timedelta(days=6)}&end={today}&by=hour"
        seen = []
        for _ in range(2):  # the first load counts the ended days, the second reads them kept
            page.goto(url)
            arrive = page.locator('table[data-table="summary"] tr', has_text="Assigned → on scene")
            expect(arrive.locator("td").nth(0)).to_have_text("4", timeout=WAIT)  # calls measured
            expect(arrive.locator("td").nth(1)).to_have_text("25:00")  # median of 10, 20, 30, 40 min
            row = page.locator('table[data-table="by"] tr', has_text=f"{hour:02d}:00")
            expect(row.locator("td").nth(0)).to_have_text("3")
            seen.append(page.locator('table[data-table="by"]').inner_text())
        assert seen[0] == seen[1]
        screenshot(page, "reports-intervals-by-hour.png")
        assert KeptDay.objects.filter(day=two_days_ago.date(), stale=False).exists()
    finally:
        context.close()
    assert_no_call_strands()
