"""reports/phone_then_field.py: calls resolved by phone that a team then went out to within 24 hours, for all
such calls and the 911 diversion's (through the plug-in's `call_cohorts`), with the pairs audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from crisis.models import AuditEntry, Person
from dispatch.models import CallEvent, Status
from programs.diversion.models import Diversion
from reports.registry import build
from tests.reports.world import at, filters, mk

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
ID_LISTS = re.compile(r'"dispatch_call"\."id" IN \((\d+(?:, \d+)*)\)')
DAY_ = timedelta(hours=24)


@pytest.fixture
def calls(dana):
    """Five calls resolved by phone in the range (A-E) and one before it (F); two later field calls count."""
    pat, quinn, rosa = (Person.objects.create(first_name=n, last_name="Caller") for n in ("Pat", "Quinn", "Rosa"))

    def by_phone(resolved_at, *, event=True, diverted=False, **kw):
        # Resolved by phone, then closed an hour later: the resolution is the time that counts. Its one writer
        # (call_resolve_by_phone) sets the column and the timeline row at the same instant; this world does both.
        call = mk(resolved_at - timedelta(minutes=20), status=Status.CLOSED, disposition="resolved_by_phone",
                  closed=80 * 60, resolved_by_phone_at=resolved_at if event else None, **kw)  # fmt: skip
        if event:
            CallEvent.objects.create(call=call, kind="call.resolved_by_phone", at=resolved_at)
        if diverted:
            Diversion.objects.create(
                call=call, cad_incident_id=f"CAD-{call.pk}", transferred_by=dana, transferred_at=call.received_at,
                status="resolved", ended_at=resolved_at,
            )  # fmt: skip
        return call

    def field(received_at, assigned_at, **kw):
        return mk(received_at, assigned=(assigned_at - received_at).total_seconds(), **kw)

    c = {}
    t = at(0, 10)
    c["A"] = by_phone(t, diverted=True, person=pat)
    c["A2"] = field(t + timedelta(hours=2), t + DAY_, person=pat)  # the 24th hour exactly: counted
    t = at(1, 10)
    c["B"] = by_phone(t, diverted=True, person=quinn)
    # A second past 24 h after the resolution (but within 24 h of the call's close): not counted.
    c["B2"] = field(t + timedelta(hours=1), t + DAY_ + SECOND, person=quinn)
    t = at(2, 10)
    c["C"] = by_phone(t, event=False, callback_number="(312) 555-0101")  # closed as resolved: its close counts
    c["C2"] = field(t + timedelta(hours=4), t + timedelta(hours=6), callback_number="+1 312 555 0101")
    c["C3"] = field(t + timedelta(hours=2), t + timedelta(hours=3), callback_number="312 555 0199")  # another number
    t = at(3, 10)
    c["D"] = by_phone(t, person=rosa)
    c["D0"] = field(t - timedelta(hours=1), t + timedelta(hours=1), person=rosa)  # received before: not later
    c["D1"] = mk(t + timedelta(hours=5), person=rosa)  # a later call no team took
    c["E"] = by_phone(at(4, 10))  # nobody to match
    c["F"] = by_phone(at(-1, 10), person=pat)  # resolved before the range
    return c


def test_counts_and_rates_for_all_and_diverted_calls_with_the_24_hour_boundary(calls):
    report = build("program_outcomes", filters())
    rows = {r["group"]: r for r in report.tables["phone_then_field"].rows}
    everything = rows["All calls resolved by phone"]
    assert (everything["resolved"], everything["field"], everything["rate"]) == (5, 2, 0.4)
    diverted = rows["Diverted from police dispatch (911 diversion)"]
    assert (diverted["resolved"], diverted["field"], diverted["rate"]) == (2, 1, 0.5)


def test_the_pairs_say_which_later_call_and_how_it_matched(calls):
    report = build("phone_then_field", filters())
    pairs = [
        (r["phone_call"], r["later_call"], r["matched_by"], r["group"], r["hours"]) for r in report.tables["pairs"].rows
    ]
    c = calls
    assert pairs == [  # newest resolution first
        (c["C"].pk, c["C2"].pk, "callback number", "–", 5.0),
        (c["A"].pk, c["A2"].pk, "person", "Diverted from police dispatch (911 diversion)", 24.0),
    ]
    assert report.call_ids == sorted([c["A"].pk, c["A2"].pk, c["C"].pk, c["C2"].pk])


def test_with_nothing_resolved_by_phone_the_counts_are_zero_and_the_rate_blank(dana):
    report = build("program_outcomes", filters())
    (row,) = [r for r in report.tables["phone_then_field"].rows if r["group"] == "All calls resolved by phone"]
    assert (row["resolved"], row["field"], row["rate"]) == (0, 0, None)


def test_the_drill_down_page_and_api_audit_the_calls_and_the_csv_lists_the_pairs(calls, client, sue):
    client.force_login(sue)
    outcomes = client.get(f"/reports/program_outcomes/?start={filters().start}&end={filters().end}")
    assert outcomes.status_code == 200
    assert 'data-drill="phone_then_field"' in outcomes.content.decode()
    assert not AuditEntry.objects.filter(action="reports.calls.viewed").exists()  # counts only: no read

    query = f"?start={filters().start}&end={filters().end}"
    page = client.get("/reports/phone_then_field/" + query)
    assert page.status_code == 200
    entry = AuditEntry.objects.get(action="reports.calls.viewed")
    expected = sorted(calls[k].pk for k in ("A", "A2", "C", "C2"))
    assert (entry.actor, entry.detail["calls"], entry.detail["via"]) == (sue, expected, "page")
    assert client.get("/api/reports/phone_then_field/" + query).status_code == 200
    assert AuditEntry.objects.filter(action="reports.calls.viewed", detail__via="api").count() == 1

    got = client.get("/reports/phone_then_field/pairs.csv" + query)
    rows = list(csv.reader(io.StringIO(got.content.decode())))
    assert rows[0][:2] == ["Resolved by phone", "Resolved at"]
    assert [(r[0], r[4], r[3]) for r in rows[1:]] == [
        (str(calls["C"].pk), str(calls["C2"].pk), "callback number"),
        (str(calls["A"].pk), str(calls["A2"].pk), "person"),
    ]
    exported = AuditEntry.objects.get(action="dispatch.report.exported")
    assert exported.detail["calls"] == expected


def test_the_cohort_reads_the_phone_resolved_calls_as_a_subquery_not_a_list_of_ids(calls):
    """A year's phone-resolved calls at 1,000,000 calls are ~300,000 ids: as query parameters they took 22 s."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        report = build("program_outcomes", filters())
    cohort = [q["sql"] for q in ctx.captured_queries if '"diversion_diversion"."call_id" IN (' in q["sql"]]
    assert cohort and all('"diversion_diversion"."call_id" IN (SELECT' in sql for sql in cohort)
    rows = {r["group"]: r for r in report.tables["phone_then_field"].rows}
    assert rows["Diverted from police dispatch (911 diversion)"]["resolved"] == 2


def test_a_person_is_matched_in_sql_without_reading_the_candidate_calls(calls):
    """The first later call about the person is a subquery per resolution: reading every candidate call and its
    times into Python took 30 s at 1,000,000 calls a year. Only the number-only call (C) reads candidates."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        report = build("program_outcomes", filters())
    candidate_reads = [q["sql"] for q in ctx.captured_queries if '"dispatch_call"."person_id" IN (' in q["sql"]]
    assert candidate_reads == []
    matched = [q["sql"] for q in ctx.captured_queries if 'U0."assigned_at" IS NOT NULL' in q["sql"]]
    assert len(matched) == 1 and "LIMIT 1" in matched[0]
    rows = {r["group"]: r for r in report.tables["phone_then_field"].rows}
    assert rows["All calls resolved by phone"]["field"] == 2


@pytest.mark.postgres  # EXPLAIN's plan: PostgreSQL's (it failed on SQLite's syntax)
def test_the_range_finds_its_phone_resolved_calls_by_their_close_through_an_index(calls):
    """A 30-day range at 1,000,000 calls scanned every call for its 25,000 phone-resolved ones (1.4 s)."""
    from django.db import connection

    from reports.phone_then_field import _resolved_in_range

    sql, params = _resolved_in_range(filters()).values("pk").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: ask whether the index can serve it
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "call_phone_resolved_closed" in plan


def test_the_resolution_is_read_from_the_call_not_the_timeline(calls):
    """Call.resolved_by_phone_at replaced the timeline's MIN per call, a correlated probe for each of a year's
    330,000 phone-resolved calls at 1,000,000 calls. (A call without it falls back to its close: C here.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        report = build("phone_then_field", filters())
    assert [q["sql"] for q in ctx.captured_queries if "dispatch_callevent" in q["sql"]] == []
    assert any('"resolved_by_phone_at"' in q["sql"] for q in ctx.captured_queries)
    assert [r["later_call"] for r in report.tables["pairs"].rows] == [calls["C2"].pk, calls["A2"].pk]


def test_the_later_call_probe_reads_only_the_calls_received_within_the_window(calls):
    """The person's later calls are bounded on both sides of received_at, so the probe is one short range of the
    call_person_received index: bounded below only, each probe read every later call about the person (2.7 s of
    a year's 3.2 s at 1,000,000 calls, EXPLAIN ANALYZE)."""
    from reports.phone_then_field import _first_later_about_the_person, _resolved_in_range

    qs = _resolved_in_range(filters()).annotate(later=_first_later_about_the_person()).values("pk", "later")
    sql = str(qs.query)
    assert 'U0."received_at" > ' in sql and 'U0."received_at" <= ' in sql
    assert set(qs.values_list("later", flat=True)) == {calls["A2"].pk, None}


def test_the_pairs_are_paged_newest_first_and_the_counts_cover_the_whole_range(calls, client, sue, monkeypatch):
    """A year at 1,000,000 calls has ~30,000 pairs: the page rendered all of them (1.46 MB, 6.4 s in the
    template). Now one page of them, newest first, with links that keep the range; the counts, the API's
    `total` and the CSV still cover every pair, and only the pairs shown are audited as read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports import registry

    monkeypatch.setattr(registry, "PAIRS_PAGE_SIZE", 1)
    c = calls
    start, end = filters().start, filters().end
    client.force_login(sue)
    query = f"?start={start}&end={end}"

    first = client.get("/reports/phone_then_field/" + query)
    html = first.content.decode()
    assert first.context["report"].tables["pairs"].rows[0]["phone_call"] == c["C"].pk
    assert f"/dispatch/calls/{c['A'].pk}/" not in html  # on page 2
    assert f'href="?start={start}&amp;end={end}&amp;page=2">Next page' in html
    assert "Previous page" not in html
    summary = {r["group"]: r for r in first.context["report"].tables["summary"].rows}
    assert (summary["All calls resolved by phone"]["resolved"], summary["All calls resolved by phone"]["field"]) == (
        5,
        2,
    )
    entry = AuditEntry.objects.get(action="reports.calls.viewed", detail__via="page")
    assert entry.detail["calls"] == sorted([c["C"].pk, c["C2"].pk])

    second = client.get(f"/reports/phone_then_field/{query}&page=2")
    html = second.content.decode()
    assert [r["phone_call"] for r in second.context["report"].tables["pairs"].rows] == [c["A"].pk]
    assert f'href="?start={start}&amp;end={end}&amp;page=1">Previous page' in html and "Next page" not in html

    api = client.get(f"/api/reports/phone_then_field/{query}&page=2").json()["tables"]["pairs"]
    assert (api["total"], api["page"], api["page_size"]) == (2, 2, 1)
    assert [(r["phone_call"], r["later_call"]) for r in api["rows"]] == [(c["A"].pk, c["A2"].pk)]

    rows = list(csv.reader(io.StringIO(client.get("/reports/phone_then_field/pairs.csv" + query).content.decode())))
    assert [r[0] for r in rows[1:]] == [str(c["C"].pk), str(c["A"].pk)]

    # Only the page's pairs are read in full: the later calls of page 2 are not read for page 1.
    with CaptureQueriesContext(connection) as ctx:
        build("phone_then_field", filters(), page=1)
    read = {int(i) for q in ctx.captured_queries for ids in ID_LISTS.findall(q["sql"]) for i in ids.split(", ")}
    assert c["A2"].pk not in read  # page 2's later call


@pytest.mark.postgres
def test_the_range_reads_each_resolution_as_a_number_and_only_the_pages_as_datetimes(calls):
    """Ordering a year's pairs needs when each was resolved: 330,000 datetimes parsed in Python took ~1 s at
    1,000,000 calls, so the range's statement gives seconds since the epoch and the page's pairs are read again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        report = build("phone_then_field", filters())
    (matched,) = [q["sql"] for q in ctx.captured_queries if 'U0."assigned_at" IS NOT NULL' in q["sql"]]
    assert matched.split(" FROM ")[0].count("date_part('epoch'") == 1
    assert [r["resolved_at"] for r in report.tables["pairs"].rows] == [
        calls["C"].closed_at,
        calls["A"].resolved_by_phone_at,
    ]
