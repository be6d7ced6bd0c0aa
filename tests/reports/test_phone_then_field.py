"""reports/phone_then_field.py: calls resolved by phone that a team then went out to within 24 hours, for all
such calls and the 911 diversion's (through the plug-in's `call_cohorts`), with the pairs audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from crisis.models import AuditEntry, Person
from dispatch.models import CallEvent, Status
from programs.diversion.models import Diversion
from reports.registry import build
from tests.reports.world import at, filters, mk

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)
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


def test_the_pairs_come_from_the_kept_columns_without_a_statement_per_resolution(calls):
    """A year at 1,000,000 calls took 1.2-1.3 s to find its 330,000 phone resolutions and probe each one's later
    calls in SQL. Once the days are kept, the calls table is read only for the calls left open for days (two
    ranges of the index) and by the cohort."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = build("program_outcomes", filters())  # counts the range's days, the day before and the two after
    with CaptureQueriesContext(connection) as ctx:
        report = build("program_outcomes", filters())
    reads = [q["sql"] for q in ctx.captured_queries if '"dispatch_call"' in q["sql"]]
    assert len(reads) == 3
    assert sum('"diversion_diversion"' in sql for sql in reads) == 1  # the cohort
    assert report.tables["phone_then_field"].rows == first.tables["phone_then_field"].rows
    rows = {r["group"]: r for r in report.tables["phone_then_field"].rows}
    assert (rows["All calls resolved by phone"]["resolved"], rows["All calls resolved by phone"]["field"]) == (5, 2)


def test_a_call_left_open_for_days_and_resolved_in_the_range_counts(calls):
    """The days read are the range's, the one before and the two after; a call received before them and
    resolved by phone in the range is found through the index, and is paired like any other."""
    sam = Person.objects.create(first_name="Sam", last_name="Open")
    resolved_at = at(5, 9)
    old = mk(at(-6, 22), status=Status.CLOSED, disposition="resolved_by_phone", person=sam,
             resolved_by_phone_at=resolved_at, closed=(resolved_at - at(-6, 22)).total_seconds() + 1)  # fmt: skip
    later = mk(at(5, 11), assigned=600, person=sam)
    for _ in range(2):  # counted from the calls, then from the kept days
        report = build("phone_then_field", filters())
        rows = {r["group"]: r for r in report.tables["summary"].rows}
        assert rows["All calls resolved by phone"]["resolved"] == 6
        pairs = {r["phone_call"]: r for r in report.tables["pairs"].rows}
        assert (pairs[old.pk]["later_call"], pairs[old.pk]["matched_by"]) == (later.pk, "person")
        assert pairs[old.pk]["resolved_at"] == resolved_at


def test_callback_numbers_are_the_same_caller_exactly_when_their_digits_are(dana):
    """Digits outside ASCII ("٣" is a digit to Python, not to PostgreSQL's [0-9]) are compared as Python reads
    them; a letter outside ASCII beside ASCII digits changes nothing; leading zeros count."""
    cases = {
        # Two numbers in Arabic-Indic digits: each the same code wherever it is read.
        "arabic 2": ("٣١٢ ٥٥٥ ٠٢٠٢", "٣١٢-٥٥٥-٠٢٠٢"),
        "arabic": ("٣١٢ ٥٥٥ ٠١٠٢", "(٣١٢) ٥٥٥-٠١٠٢"),
        "accent": ("312-555-0103 é", "+1 312 555 0103"),
        "zeros": ("0055-0104", "0055 0104"),
    }
    expected = {}
    for n, (name, (number, same)) in enumerate(cases.items()):
        t = at(n, 10)
        phone = mk(t - timedelta(minutes=5), status=Status.CLOSED, disposition="resolved_by_phone",
                   resolved_by_phone_at=t, closed=300, callback_number=number)  # fmt: skip
        # Taken first, but not the same digits: "3125550102" in ASCII, the other Arabic-Indic number, or the zeros
        # dropped.
        decoy = {"arabic 2": "٣١٢ ٥٥٥ ٠١٠٢", "arabic": "312 555 0102", "accent": "312 555 0113", "zeros": "55-0104"}
        mk(t + timedelta(minutes=30), assigned=60, callback_number=decoy[name])
        expected[phone.pk] = mk(t + timedelta(hours=1), assigned=60, callback_number=same).pk
    for _ in range(2):  # counted from the calls, then from the kept days
        report = build("phone_then_field", filters())
        got = {r["phone_call"]: (r["later_call"], r["matched_by"]) for r in report.tables["pairs"].rows}
        assert got == {pk: (later, "callback number") for pk, later in expected.items()}


@pytest.mark.postgres  # EXPLAIN's plan: PostgreSQL's
def test_calls_left_open_for_days_are_found_in_the_index_with_their_received_time(calls):
    """A 30-day range at 1,000,000 calls read 106,000 rows of the index's close alone to find none (0.3 s): the
    received time is an index condition, checked without reading the calls."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.phone_then_field import _resolved_long_after

    with CaptureQueriesContext(connection) as ctx:
        _resolved_long_after(filters())
    assert len(ctx.captured_queries) == 2
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: ask whether the index can serve it
        for q in ctx.captured_queries:
            cur.execute("EXPLAIN " + q["sql"])
            plan = "\n".join(r[0] for r in cur.fetchall())
            assert "call_phone_resolved_closed" in plan
            cond = next(line for line in plan.splitlines() if "Index Cond" in line)
            assert "closed_at" in cond and "received_at <" in cond


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


def test_the_pairs_are_paged_newest_first_and_the_counts_cover_the_whole_range(calls, client, sue, monkeypatch):
    """A year at 1,000,000 calls has ~30,000 pairs: the page rendered all of them (1.46 MB, 6.4 s in the
    template). Now one page of them, newest first, with links that keep the range; the counts, the API's
    `total` and the CSV still cover every pair, and only the pairs shown are audited as read."""
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


def _measure_call_by_call(f):
    """The measure as its definition reads, one resolution at a time: {phone call: (later call, matched by)} and
    every call resolved by phone in the range."""
    from crisis.validators import phone_digits
    from dispatch.models import Call
    from reports.columns import PHONE_RESOLVED, resolution
    from reports.phone_then_field import WINDOW

    in_range = Call.objects.filter(PHONE_RESOLVED).annotate(resolved=resolution())
    in_range = in_range.filter(resolved__gte=f.start_at, resolved__lt=f.end_at)
    resolved = list(in_range.values_list("pk", "resolved", "person_id", "callback_number"))
    pairs = {}
    for pk, when, person_id, number in resolved:
        later = Call.objects.filter(assigned_at__isnull=False, received_at__gt=when, assigned_at__lte=when + WINDOW)
        later = later.exclude(pk=pk).order_by("assigned_at", "pk")
        if person_id:
            first, how = later.filter(person_id=person_id).values_list("pk", flat=True).first(), "person"
        elif phone_digits(number):
            same = [c for c, n in later.values_list("pk", "callback_number") if phone_digits(n) == phone_digits(number)]
            first, how = (same[0] if same else None), "callback number"
        else:
            first = None
        if first is not None:
            pairs[pk] = (first, how)
    return pairs, {pk for pk, *_ in resolved}


def _repeat_callers(now, seed=7):
    """Calls resolved by phone and field calls after them about a few people and numbers, on the boundaries:
    received at the resolution's instant or a microsecond after, taken at 24 h or a microsecond past, two taken
    at one instant, a number with digits outside ASCII, a resolution left open for days."""
    import random

    rng = random.Random(seed)
    people = [Person.objects.create(first_name=f"P{n}", last_name="Repeat") for n in range(8)]
    numbers = [f"312 555 01{n:02d}" for n in range(5)] + ["٣١٢ ٥٥٥ ٠١٩٩", "(312) 555-0100", ""]
    us = timedelta(microseconds=1)
    for _ in range(120):
        resolved_at = now - timedelta(days=rng.uniform(1, 33))
        received = resolved_at - rng.choice([timedelta(minutes=3), timedelta(days=3)])
        who = {"person": rng.choice(people)} if rng.random() < 0.5 else {"callback_number": rng.choice(numbers)}
        mk(received, status=Status.CLOSED, disposition="resolved_by_phone", resolved_by_phone_at=resolved_at,
           closed=(resolved_at - received).total_seconds() + 1, **who)  # fmt: skip
        for _ in range(rng.randrange(4)):
            later = resolved_at + rng.choice([timedelta(0), us, timedelta(hours=3), timedelta(hours=23)])
            took = max(later, resolved_at + rng.choice([timedelta(minutes=30), DAY_, DAY_ + us, DAY_ - us]))
            again = who if rng.random() < 0.7 else {"person": rng.choice(people)}
            mk(later, assigned=(took - later).total_seconds(), **again)
            if rng.random() < 0.2:  # another team took another call about them at the same instant
                mk(later, assigned=(took - later).total_seconds(), **again)


def test_a_generated_history_pairs_as_the_measure_read_call_by_call_does():
    """The columns' join against the definition, resolution by resolution, on a plausible history (every
    program) with repeat callers on every boundary, counted from the calls and from the kept days."""
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from reports.filters import Filters
    from reports.phone_then_field import matched

    call_command("generate_history", calls=1500, days=120, seed=5, stdout=io.StringIO())
    _repeat_callers(timezone.now())
    today = timezone.localdate()
    for days in (30, 120):
        f = Filters(start=today - timedelta(days=days - 1), end=today)
        pairs, resolved = _measure_call_by_call(f)
        assert len(resolved) > 100 and len(pairs) > 50
        assert {how for _, how in pairs.values()} == {"person", "callback number"}
        for _ in range(2):
            m = matched(f)
            assert set(m.ids.tolist()) == resolved
            got = {int(m.phone[n]): (int(m.later[n]), "person" if m.by_person[n] else "callback number")
                   for n in range(len(m.phone))}  # fmt: skip
            assert got == pairs
            build("phone_then_field", f)  # keeps the days for the second pass
