"""reports/rollup.py and the standards' per-day counts (reports/keep.py `days_count`): the kept
days add up to exactly what counting the calls gives, and every way a day's counts go out of date is caught."""

import io
import threading
from datetime import UTC, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dispatch.models import Call, Status
from dispatch.standards import configured_standards
from dispatch.timeline import record_event
from programs.mobile_crisis.models import FollowUp
from programs.mobile_crisis.services import follow_up_record
from reports import rollup
from reports.caseload import caseload_report
from reports.filters import Filters
from reports.intervals import BREAKDOWNS, intervals_report
from reports.keep import days_count
from reports.models import KeptCalls, KeptDay, KeptStandards
from reports.outcomes import outcomes_report
from reports.phone_then_field import phone_then_field_report
from reports.standards import standard_sql, standards_report
from tests.reports.world import DAY, at, filters, mk


def tables(report):
    return {name: (t.rows, t.total) for name, t in report.tables.items()}


def counting_queries(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "answer__applicable" in q["sql"]]


RANGES = [
    filters(),  # by day
    Filters(start=DAY - timedelta(days=80), end=DAY + timedelta(days=40)),  # by week
    Filters(start=DAY - timedelta(days=300), end=DAY + timedelta(days=200)),  # by month
]


@pytest.mark.django_db
@pytest.mark.parametrize("f", RANGES, ids=["days", "weeks", "months"])
@pytest.mark.parametrize("which", ["all", "program", "team"])
def test_kept_days_give_the_same_report_as_counting_the_calls(world, f, which, mobile_crisis, team_b):
    f = Filters(start=f.start, end=f.end, program=mobile_crisis if which == "program" else None,
                team=team_b if which == "team" else None)  # fmt: skip
    now = timezone.now()  # an overdue follow-up's "took" runs on with the clock
    counted = tables(standards_report(f, standard="follow_up", now=now))
    counted_intervals = [tables(intervals_report(f, by=by, now=now)) for by in BREAKDOWNS] + [
        tables(outcomes_report(f, now=now)),
        tables(caseload_report(f, now=now)),
    ]
    # Every day of the range ended months ago; the outcomes' repeat window also reads the 30 days before it.
    assert days_count(Filters(start=f.start - timedelta(days=31), end=f.end), now) == f.days + 31
    with CaptureQueriesContext(connection) as ctx:
        kept = tables(standards_report(f, standard="follow_up", now=now))
        kept_intervals = [tables(intervals_report(f, by=by, now=now)) for by in BREAKDOWNS] + [
            tables(outcomes_report(f, now=now)),
            tables(caseload_report(f, now=now)),
        ]
    assert counting_queries(ctx) == []  # nothing counted from the calls: every day was kept
    assert not [q for q in ctx.captured_queries if 'FROM "dispatch_call"' in q["sql"] and "secs_" in q["sql"]]
    assert kept == counted and kept_intervals == counted_intervals
    assert KeptStandards.objects.exists() and KeptCalls.objects.exists()


@pytest.mark.django_db
def test_only_the_days_not_kept_are_counted_from_the_calls(world):
    days_count(Filters(start=DAY, end=DAY + timedelta(days=4)))
    f = filters()
    with CaptureQueriesContext(connection) as ctx:
        report = standards_report(f)
    (sql,) = counting_queries(ctx)
    # The range's own bound, and one more: the nine days after the kept five, from their first local midnight.
    assert sql.count('"dispatch_call"."received_at" >=') == 2
    first = at(5, 0)  # PostgreSQL's SQL shows it in local time, SQLite's in UTC
    shown = (
        first.isoformat(sep=" ") if connection.vendor == "postgresql" else f"{first.astimezone(UTC):%Y-%m-%d %H:%M:%S}"
    )
    assert f'"dispatch_call"."received_at" >= \'{shown}\'' in sql
    s = {r["key"]: r for r in report.tables["summary"].rows}
    assert (s["answer"]["measured"], s["answer"]["met"]) == (5, 3)
    assert (s["follow_up"]["measured"], s["follow_up"]["met"]) == (3, 1)


@pytest.mark.django_db
def test_counting_twice_counts_nothing_the_second_time(world):
    f = filters()
    assert days_count(f) == 14
    assert days_count(f) == 0


@pytest.mark.django_db
def test_a_change_to_an_old_call_marks_its_day_stale_and_the_report_follows(world):
    f = filters()
    days_count(f)
    c3 = world[3]  # co-response, assigned, never arrived: arrival not measured
    Call.objects.filter(pk=c3.pk).update(arrived_at=c3.received_at + timedelta(minutes=30))
    c3.refresh_from_db()
    record_event(c3, "call.arrived", by=None)  # what every service that changes a call does
    assert KeptDay.objects.get(day=DAY + timedelta(days=1)).stale
    assert days_count(f) == 1
    s = {r["key"]: r for r in standards_report(f).tables["summary"].rows}
    assert (s["arrival"]["measured"], s["arrival"]["met"]) == (4, 3)
    arrive = {r["interval"]: r for r in intervals_report(f).tables["summary"].rows}["Assigned → on scene"]
    assert arrive["n"] == 4  # c3's 1,695 s (assigned at +105 s, on scene at +1,800 s) counts now


@pytest.mark.django_db
def test_a_completed_follow_up_marks_its_calls_day_stale(world, sue):
    f = filters()
    days_count(f)
    follow_up = FollowUp.objects.get(call=world[6])
    follow_up_record(follow_up=follow_up, by=sue, reached=True)
    assert KeptDay.objects.get(day=DAY + timedelta(days=4)).stale
    assert not KeptDay.objects.get(day=DAY + timedelta(days=3)).stale


@pytest.mark.django_db
def test_changes_to_todays_calls_cost_no_statement_here(dana):
    call = mk(timezone.now() - timedelta(minutes=5))
    with CaptureQueriesContext(connection) as ctx:
        record_event(call, "call.noted", by=dana)
    assert not [q for q in ctx.captured_queries if "reports_keptday" in q["sql"]]
    assert not KeptDay.objects.exists()


@pytest.mark.django_db
def test_a_day_is_kept_only_once_it_ended_a_margin_ago():
    tz = timezone.get_current_timezone()
    midnight = timezone.datetime(2026, 3, 3, tzinfo=tz)
    assert rollup.last_day_kept(midnight + rollup.MARGIN - timedelta(seconds=1)) == DAY - timedelta(days=1)
    assert rollup.last_day_kept(midnight + rollup.MARGIN) == DAY


@pytest.mark.django_db
def test_a_running_follow_up_clock_keeps_the_day_only_until_it_runs_out(world, team_a):
    c7 = mk(at(13, 8), triaged=10, assigned=60, arrived=600, closed=1600, tier="community", team=team_a,
            disposition="referred", status=Status.CLOSED)  # fmt: skip
    f = filters()
    now = c7.arrived_at + timedelta(days=2)  # day 13 ended; its follow-up clock has a day left
    days_count(f, now)
    stamp = KeptDay.objects.get(day=DAY + timedelta(days=13))
    assert stamp.good_until == c7.arrived_at + timedelta(hours=72)
    later = c7.arrived_at + timedelta(hours=73)
    assert DAY + timedelta(days=13) not in rollup.stored_days(f, later)
    assert days_count(f, later) == 1
    s = {r["key"]: r for r in standards_report(f, now=later).tables["summary"].rows}
    assert (s["follow_up"]["measured"], s["follow_up"]["met"], s["follow_up"]["not_measured"]) == (4, 1, 0)
    assert KeptDay.objects.get(day=DAY + timedelta(days=13)).good_until is None


@pytest.mark.django_db
def test_counts_taken_for_a_later_now_are_not_used_for_an_earlier_one(world):
    f = filters()
    days_count(f)
    assert rollup.stored_days(f, at(20)) == set()


@pytest.mark.django_db
def test_changed_targets_are_counted_again(world, settings):
    f = filters()
    days_count(f)
    settings.CRISIS_STANDARDS = {"answer": {"target_seconds": 30}}
    assert rollup.stored_days(f, timezone.now()) == set()
    now = timezone.now()
    counted = tables(standards_report(f, now=now))
    assert days_count(f, now) == 14
    assert tables(standards_report(f, now=now)) == counted
    assert {r["key"]: r for r in counted["summary"][0]}["answer"]["met"] == 4


@pytest.mark.django_db
def test_the_report_page_counts_before_it_reads(client, sue, world):
    client.force_login(sue)
    assert client.get(f"/reports/standards/?start={DAY}&end={DAY + timedelta(days=13)}").status_code == 200
    assert KeptDay.objects.filter(stale=False).count() == 14


@pytest.mark.django_db
def test_forget_drops_every_kept_day(world):
    days_count(filters())
    rollup.forget()
    assert not KeptDay.objects.exists() and not KeptStandards.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_day_being_marked_stale_is_left_for_the_next_count(world):
    """A change to one of a day's calls holds the day's stamp until it commits: a count at that moment skips the
    day (it is counted from the calls meanwhile) and the change's stale mark stands."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    f = filters()
    days_count(f)
    KeptDay.objects.update(stale=True)  # the whole range needs counting again
    changed_day = DAY + timedelta(days=1)
    marked, release = threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                c3 = Call.objects.select_for_update().get(pk=world[3].pk)
                c3.arrived_at = c3.received_at + timedelta(minutes=30)
                Call.objects.filter(pk=c3.pk).update(arrived_at=c3.arrived_at)
                record_event(c3, "call.arrived", by=None)
                marked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert marked.wait(10)
        assert days_count(f) == 13
        # Every day but the one being changed was counted; that one still says stale.
        assert list(KeptDay.objects.filter(stale=True).values_list("day", flat=True)) == [changed_day]
    finally:
        release.set()
        thread.join(10)
    assert KeptDay.objects.get(day=changed_day).stale
    s = {r["key"]: r for r in standards_report(f).tables["summary"].rows}
    assert (s["arrival"]["measured"], s["arrival"]["met"]) == (4, 3)


@pytest.mark.django_db
def test_generated_history_reads_the_same_kept_or_counted_and_generating_again_forgets_it():
    """The old and the new way on a plausible history (a year and more, every program, open follow-up clocks):
    every table of every standard's report, for a month, a year (by week) and 400 days (by month), for all
    calls, one program and one team."""
    from django.core.management import call_command

    from programs.models import Program
    from responders.models import Team

    call_command("generate_history", calls=1500, days=420, seed=3, stdout=io.StringIO())
    now = timezone.now()
    today = timezone.localdate(now)
    program, team = Program.objects.order_by("pk").first(), Team.objects.order_by("pk").first()
    ranges = [Filters(start=today - timedelta(days=n - 1), end=today, **kw)
              for n in (30, 365, 410) for kw in ({}, {"program": program}, {"team": team})]  # fmt: skip
    keys = ("answer", "dispatch", "arrival", "follow_up")

    def read():
        return (
            [tables(standards_report(f, standard=k, now=now, page_size=None)) for f in ranges for k in keys]
            + [tables(intervals_report(f, by=by, now=now)) for f in ranges for by in BREAKDOWNS]
            + [tables(outcomes_report(f, now=now)) for f in ranges]
            + [tables(phone_then_field_report(f, now=now, page_size=None)) for f in ranges[::3]]
        )

    counted = read()
    # The breach list's total is the counts' measured - met: the same as counting the breaches themselves.
    for f in ranges:
        sqls = {std.key: standard_sql(std, now, f) for std in configured_standards()}
        for k in keys:
            assert standards_report(f, standard=k, now=now).tables["breaches"].total == (
                f.calls().filter(sqls[k].breach).count()
            )
    # Every day up to the last one ended a margin ago (in the hour after local midnight, the day before yesterday).
    first = today - timedelta(days=420)
    assert days_count(Filters(start=first, end=today), now) == (rollup.last_day_kept(now) - first).days + 1
    assert (
        sum(r["resolved"] for f in ranges[::3] for r in phone_then_field_report(f, now=now).tables["summary"].rows) > 0
    )
    assert rollup.stored_days(ranges[1], now)  # kept days are read...
    assert read() == counted  # ...to the same numbers
    assert KeptDay.objects.exclude(good_until=None).exists()  # some follow-up clocks were still running
    call_command("generate_history", calls=10, days=3, seed=4, stdout=io.StringIO())
    assert not KeptDay.objects.exists()
