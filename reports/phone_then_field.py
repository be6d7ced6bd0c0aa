"""Calls resolved by phone that later needed a team in the field within 24 hours.

A call resolved by phone (a dispatcher's or a 911-diversion clinician's) is counted when it was resolved in the
range. It "later needed a field response" when another call about the same person, received after the
resolution, had a team take it (its `assigned_at`: accepted an offer or assigned by hand) no later than 24 hours
after the resolution, the 24th hour included. The same person: the person linked to both calls; when the
phone-resolved call has no person linked, the same callback number (its last 10 digits) instead, since the
unidentified caller who rings back is the case the measure is for. Each phone-resolved call counts once, paired
with the first later call a team took.

The groups besides "all" come from the programs (`programs.plugins.call_cohorts()`: the 911 diversion's calls),
so this module never reads a program's records. The program and team filters do not apply: a call resolved by
phone has no team, and the later call may be any program's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import ExpressionWrapper, F, Field, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from crisis.validators import phone_digits
from dispatch.models import Call, Disposition, Status
from programs import plugins as program_plugins

from .filters import Filters
from .sql import Seconds
from .tables import Column, Report, Table, share_of

WINDOW = timedelta(hours=24)
# More than a received time may lie ahead of the clock at intake (dispatch/serializers.py: CLOCK_SKEW, 5 minutes).
RECEIVED_AHEAD = timedelta(hours=1)
EPOCH = Value(datetime(1970, 1, 1, tzinfo=UTC))
ALL = "all"


@dataclass(frozen=True)
class Resolved:
    call_id: int
    resolved_at: datetime
    person_id: int | None
    digits: str


@dataclass(frozen=True)
class Pair:
    phone_call_id: int
    resolved_at: datetime
    matched_by: str  # "person" or "callback number"
    later_call_id: int
    later_received_at: datetime
    team_at: datetime


def _resolved_by_phone():
    return Call.objects.filter(Q(status=Status.RESOLVED_BY_PHONE) | Q(disposition=Disposition.RESOLVED_BY_PHONE))


def _resolution():
    """When the call was resolved by phone: the column its one writer sets with the timeline's row
    (dispatch/calls.call_resolve_by_phone), else its close. It was the timeline's MIN per call, a correlated
    probe for each of a year's 330,000 phone-resolved calls at 1,000,000 calls."""
    return Coalesce("resolved_by_phone_at", "closed_at", "status_changed_at")


def _resolved_in_range(f: Filters):
    """Calls resolved by phone in the range, each with when (`resolved`): the timeline's resolution, else its close."""
    return (
        _resolved_by_phone()
        # Resolved after it was received and before it was closed (closed is final: TRANSITIONS), so only calls
        # received before the range ends and closed after it starts (or not yet) need their resolution looked
        # up: a 30-day range at 1,000,000 calls looked up every phone-resolved call of all time.
        .filter(Q(closed_at__gte=f.start_at) | Q(closed_at__isnull=True), received_at__lt=f.end_at)
        .annotate(resolved=_resolution())
        .filter(resolved__gte=f.start_at, resolved__lt=f.end_at)
    )


def _first_later_about_the_person():
    """The first later call about the same person that a team took within the window (its id), in SQL: one
    index probe per resolution (call_person_received) instead of every candidate call and its timestamps in
    Python, which took 30 s at 1,000,000 calls a year."""
    return Subquery(
        Call.objects.filter(
            person_id=OuterRef("person_id"),
            assigned_at__isnull=False,
            received_at__gt=OuterRef("resolved"),
            # Implied by the next line (a team takes a call after it was received; intake refuses a received time
            # more than 5 minutes ahead), and it bounds the index range: without it each probe read all of the
            # person's later calls (2.7 s for a year at 1,000,000 calls).
            received_at__lte=OuterRef("resolved") + WINDOW + RECEIVED_AHEAD,
            assigned_at__lte=OuterRef("resolved") + WINDOW,
        )
        .exclude(pk=OuterRef("pk"))
        .order_by("assigned_at", "pk")
        .values("pk")[:1]
    )


def phone_resolved(f: Filters) -> tuple[list[int], dict[int, tuple[float, int]], list[Resolved]]:
    """The range's phone-resolved calls: every id; the later call each one about a known person led to, with
    when it was resolved (seconds since the epoch: only to put the pairs in order); and the ones with only a
    callback number (matched in Python, since the number's digits are not a column)."""
    ids, by_person, by_number = [], {}, []
    # date_part keeps every microsecond apart and in order (a double's step there is ~0.24 us); a year's
    # 330,000 resolutions as datetimes took ~1 s of Python at 1,000,000 calls.
    # As a plain Field: a FloatField's converter ran once per row (~0.4 s of a year's 330,000 in Python).
    epoch = ExpressionWrapper(Seconds(F("resolved"), EPOCH), output_field=Field())
    rows = _resolved_in_range(f).annotate(later=_first_later_about_the_person(), epoch=epoch)
    for pk, epoch, person_id, number, later in rows.values_list("pk", "epoch", "person_id", "callback_number", "later"):
        ids.append(pk)
        if later is not None:
            by_person[pk] = (epoch, later)
        elif person_id is None and phone_digits(number):
            by_number.append(pk)
    numbered = []
    if by_number:
        numbered = [
            Resolved(pk, at, None, phone_digits(number))
            for pk, at, number in _resolved_in_range(f)
            .filter(pk__in=by_number)
            .values_list("pk", "resolved", "callback_number")
            .order_by("resolved", "pk")
        ]
    return ids, by_person, numbered


def person_pairs(later_of: dict[int, int]) -> list[Pair]:
    """The pairs matched by person (phone call -> later call), with their times: only the pairs a page shows
    are read, since a year's 30,000-odd pairs took a statement and a second of rendering at 1,000,000 calls."""
    if not later_of:
        return []
    resolved = _resolved_by_phone().filter(pk__in=list(later_of)).annotate(resolved=_resolution())
    resolved_at = dict(resolved.values_list("pk", "resolved"))
    later = {
        pk: (received_at, team_at)
        for pk, received_at, team_at in Call.objects.filter(pk__in=set(later_of.values())).values_list(
            "pk", "received_at", "assigned_at"
        )
    }
    return [Pair(pk, resolved_at[pk], "person", later_pk, *later[later_pk]) for pk, later_pk in later_of.items()]


def pairs_for(resolved: list[Resolved]) -> list[Pair]:
    """The first later call a team took within the window, per phone-resolved call that has one."""
    if not resolved:
        return []
    people = {r.person_id for r in resolved if r.person_id}
    numbers = {r.digits for r in resolved if not r.person_id and r.digits}
    # Candidates: calls a team took between the first resolution and 24 h after the last, about one of these
    # people or from a number ending in one of these numbers' digits (checked exactly below).
    near = Q(person_id__in=people)
    for digits in numbers:
        near |= Q(callback_number__endswith=digits[-4:])
    later = list(
        Call.objects.filter(
            near,
            assigned_at__isnull=False,
            received_at__gt=resolved[0].resolved_at,
            assigned_at__lte=max(r.resolved_at for r in resolved) + WINDOW,
        )
        .values_list("pk", "person_id", "callback_number", "received_at", "assigned_at")
        .order_by("assigned_at", "pk")
    )
    # Each resolution looks only at its own person's (or number's) candidates, kept in (assigned_at, pk) order:
    # a scan of every candidate per resolution was quadratic (18 s at 50,000 calls over a year).
    by_person: dict[int, list[tuple]] = {}
    by_digits: dict[str, list[tuple]] = {}
    for row in later:
        pk, person_id, number, received_at, team_at = row
        if person_id:
            by_person.setdefault(person_id, []).append(row)
        digits = phone_digits(number)
        if digits in numbers:
            by_digits.setdefault(digits, []).append(row)
    out = []
    for r in resolved:
        if r.person_id:
            candidates, how = by_person.get(r.person_id, ()), "person"
        elif r.digits:
            candidates, how = by_digits.get(r.digits, ()), "callback number"
        else:
            continue
        for pk, _person_id, _number, received_at, team_at in candidates:
            if pk == r.call_id or received_at <= r.resolved_at or team_at > r.resolved_at + WINDOW:
                continue
            out.append(Pair(r.call_id, r.resolved_at, how, pk, received_at, team_at))
            break
    return out


def _cohorts(f: Filters, call_ids: list[int]) -> list[tuple[str, str, set[int]]]:
    ids = set(call_ids)
    groups = [(ALL, "All calls resolved by phone", ids)]
    # A cohort says which of the calls it is given belong to it. It is given the phone-resolved calls received
    # before the range ended, as a subquery, and the answer is cut to those resolved in the range: the year's
    # 300,000 ids as query parameters took 14 s at 1,000,000 calls.
    candidates = _resolved_by_phone().filter(received_at__lt=f.end_at).values_list("pk", flat=True)
    for cohort in program_plugins.call_cohorts():
        groups.append((cohort.key, cohort.label, cohort.members(candidates) & ids))
    return groups


PAIRS_PAGE_SIZE = 100


@dataclass(frozen=True)
class Pairs:
    """One page of the pairs, newest resolution first, and how many there are in the whole range."""

    rows: list[Pair]
    total: int
    labels_of: dict[int, list[str]]


def summary_table(
    f: Filters, *, details: bool = False, page: int = 1, page_size: int | None = PAIRS_PAGE_SIZE
) -> tuple[Table, Pairs | None]:
    """The counts per cohort over the whole range; with `details`, one page of the pairs too (every pair when
    `page_size` is None, for the CSV), for the drill-down."""
    ids, by_person, numbered = phone_resolved(f)
    by_number = pairs_for(numbered)
    needed = set(by_person) | {p.phone_call_id for p in by_number}
    cohorts = _cohorts(f, ids)
    rows = []
    for _key, label, members in cohorts:
        later = len(members & needed)
        rows.append({"group": label, "resolved": len(members), "field": later, "rate": share_of(later, len(members))})
    table = Table(
        "phone_then_field",
        "Resolved by phone, then a field team within 24 h",
        [
            Column("group", "Calls"),
            Column("resolved", "Resolved by phone", "int"),
            Column("field", "Later needed a field team within 24 h", "int"),
            Column("rate", "Rate", "share"),
        ],
        rows,
        note="Calls resolved by phone in the range; a later call about the same person (or from the same "
        "callback number when no person was linked) that a team took within 24 hours of the resolution. "
        "A call resolved in the last day of the range may still gain one.",
    )
    table.drill = ("See the pairs", "phone_then_field")
    if not details:
        return table, None
    # Newest resolution first; only the page's pairs are read in full (a year holds ~30,000 at 1,000,000 calls,
    # and rendering them all made a 1.5 MB page that took 6 s).
    numbered_pairs = {p.phone_call_id: p for p in by_number}
    order = sorted(
        [(epoch, pk) for pk, (epoch, _) in by_person.items()]
        + [(p.resolved_at.timestamp(), pk) for pk, p in numbered_pairs.items()],
        reverse=True,
    )
    shown = order if page_size is None else order[(page - 1) * page_size : page * page_size]
    on_page = {pk for _, pk in shown}
    by_pk = {p.phone_call_id: p for p in person_pairs({pk: by_person[pk][1] for pk in on_page if pk in by_person})}
    by_pk.update({pk: numbered_pairs[pk] for pk in on_page if pk in numbered_pairs})
    labels_of: dict[int, list[str]] = {}
    for key, label, members in cohorts:
        if key != ALL:
            for call_id in on_page & members:
                labels_of.setdefault(call_id, []).append(label)
    return table, Pairs([by_pk[pk] for _, pk in shown], len(order), labels_of)


def phone_then_field_report(f: Filters, *, page: int = 1, page_size: int | None = PAIRS_PAGE_SIZE) -> Report:
    """The drill-down: the summary over the whole range and one page of the pairs (newest first), with links to
    both calls; `page_size=None` lists every pair (the CSV)."""
    summary, pairs = summary_table(f, details=True, page=page, page_size=page_size)
    summary.drill = None
    rows = [
        {
            "phone_call": p.phone_call_id,
            "resolved_at": p.resolved_at,
            "group": ", ".join(pairs.labels_of.get(p.phone_call_id, [])) or "–",
            "matched_by": p.matched_by,
            "later_call": p.later_call_id,
            "later_received_at": p.later_received_at,
            "team_at": p.team_at,
            "hours": (p.team_at - p.resolved_at).total_seconds() / 3600,
        }
        for p in pairs.rows
    ]
    table = Table(
        "pairs",
        "The pairs",
        [
            Column("phone_call", "Resolved by phone", "id", link="dispatch:call"),
            Column("resolved_at", "Resolved at", "datetime"),
            Column("group", "Handled by"),
            Column("matched_by", "Same"),
            Column("later_call", "Later call", "id", link="dispatch:call"),
            Column("later_received_at", "Later call received", "datetime"),
            Column("team_at", "Team took it", "datetime"),
            Column("hours", "Hours after the resolution", "number"),
        ],
        rows,
        note="Newest resolution first.",
        total=pairs.total,
        page=page,
        page_size=page_size,
    )
    report = Report(
        "phone_then_field",
        "Phone, then field",
        f,
        {"summary": summary, "pairs": table},
        notes=[__doc__.split("\n\n")[1].replace("\n", " ").replace("`", "")],
    )
    # Both calls of every pair shown are read: the page, the API and the CSV audit which (reports/views.py).
    report.call_ids = sorted({p.phone_call_id for p in pairs.rows} | {p.later_call_id for p in pairs.rows})
    return report
