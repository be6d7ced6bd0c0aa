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
from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from crisis.validators import phone_digits
from dispatch.models import Call
from programs import plugins as program_plugins

from .columns import NONE, NOT_ASCII, PHONE_RESOLVED, call_columns_for, digits_code, from_micros, micros, resolution
from .filters import Filters
from .tables import Column, Report, Table, share_of

WINDOW = timedelta(hours=24)
# A later call is received before a team takes it, give or take the 5 minutes a received time may lie ahead of the
# clock at intake (dispatch/serializers.py: CLOCK_SKEW): so it was received no later than this after the resolution.
RECEIVED_AHEAD = timedelta(hours=1)
# The days read besides the range's: the day before (a call received then, resolved by phone in the range; one
# received earlier still is read from the calls, `_resolved_long_after`) and two after (the later calls).
DAYS_BEFORE, DAYS_AFTER = 1, 2
ALL = "all"
_US = timedelta(microseconds=1)
_WINDOW_US = WINDOW // _US
_RECEIVED_US = (WINDOW + RECEIVED_AHEAD) // _US


@dataclass(frozen=True)
class Pair:
    phone_call_id: int
    resolved_at: datetime
    matched_by: str  # "person" or "callback number"
    later_call_id: int
    later_received_at: datetime
    team_at: datetime


@dataclass(frozen=True)
class Matched:
    """The range's calls resolved by phone (`ids`) and, for each that led to a field call, the pair: parallel
    arrays, one entry per pair."""

    ids: np.ndarray
    phone: np.ndarray  # the phone-resolved call
    resolved: np.ndarray  # when it was resolved (µs since the epoch)
    by_person: np.ndarray  # matched by the person (else by the callback number)
    later: np.ndarray  # the later call a team took
    received: np.ndarray  # when the later call was received (µs)
    team_at: np.ndarray  # when a team took it (µs)

    def pair(self, n: int) -> Pair:
        return Pair(
            int(self.phone[n]), from_micros(self.resolved[n]), "person" if self.by_person[n] else "callback number",
            int(self.later[n]), from_micros(self.received[n]), from_micros(self.team_at[n]),
        )  # fmt: skip


def _resolved_by_phone():
    return Call.objects.filter(PHONE_RESOLVED)


def _read_around(f: Filters) -> Filters:
    """The days whose calls the measure reads: the range's, the day before and the two after (any program)."""
    return Filters(start=f.start - timedelta(days=DAYS_BEFORE), end=f.end + timedelta(days=DAYS_AFTER))


def _resolved_long_after(f: Filters) -> dict[str, np.ndarray]:
    """Calls received before the days read and resolved by phone in the range (a call left open for days): few.
    A call is resolved before it closes (closed is final: TRANSITIONS), so such a call closed in the range or
    later, or is not closed yet: two ranges of the call_phone_resolved_closed index, the received time checked in
    the index."""
    found = (
        _resolved_by_phone()
        .filter(received_at__lt=_read_around(f).start_at)
        .annotate(resolved=resolution())
        .filter(resolved__gte=f.start_at, resolved__lt=f.end_at)
    )
    fields = ("pk", "resolved", "person_id", "callback_number")
    rows = [
        *found.filter(closed_at__gte=f.start_at).values_list(*fields),
        *found.filter(closed_at__isnull=True).values_list(*fields),
    ]
    return {
        "id": np.array([r[0] for r in rows], np.int64),
        "resolved": np.array([micros(r[1]) for r in rows], np.int64),
        "person": np.array([NONE if r[2] is None else r[2] for r in rows], np.int64),
        "digits": np.array([digits_code(r[3]) for r in rows], np.int64),
    }


def _exact_digits(*columns: tuple[np.ndarray, np.ndarray]) -> None:
    """Replace NOT_ASCII codes (in place) in each (ids, codes) by codes equal exactly when the numbers'
    `phone_digits` are: ASCII digits as `digits_code` gives them, any other digits a code of their own below
    NOT_ASCII, the same one in every array."""
    where = [np.flatnonzero(codes == NOT_ASCII) for _, codes in columns]
    ids = {int(pk) for (call_ids, _), at in zip(columns, where, strict=True) for pk in call_ids[at]}
    if not ids:
        return
    numbers = dict(Call.objects.filter(pk__in=sorted(ids)).values_list("pk", "callback_number"))
    others: dict[str, int] = {}
    for (call_ids, codes), at in zip(columns, where, strict=True):
        for n in at:
            digits = phone_digits(numbers[int(call_ids[n])])
            codes[n] = (
                digits_code(digits) if digits.isascii() else others.setdefault(digits, NOT_ASCII - 1 - len(others))
            )


def _positions(key: np.ndarray, at: np.ndarray, q_key: np.ndarray, q_at: np.ndarray) -> np.ndarray:
    """For each (q_key, q_at): how many of the candidates, sorted by (key, at), come at or before it. The key's
    run by `searchsorted`, then a binary search within each run, all queries a halving at a time."""
    lo, hi = np.searchsorted(key, q_key, "left"), np.searchsorted(key, q_key, "right")
    while (open_ := np.flatnonzero(lo < hi)).size:
        mid = (lo[open_] + hi[open_]) // 2
        after = at[mid] <= q_at[open_]
        lo[open_[after]] = mid[after] + 1
        hi[open_[~after]] = mid[~after]
    return lo


def first_later(
    q_key: np.ndarray, q_at: np.ndarray, q_id: np.ndarray, c_key: np.ndarray, c_received: np.ndarray,
    c_team_at: np.ndarray, c_id: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """For each resolution (same-caller key, resolved at, call id): the index of the candidate call (a team took
    it) about the same key, received after the resolution, taken by a team no later than WINDOW after it, the
    first by (taken, id); -1 for none. Each resolution looks only at its key's calls received in the window after
    it (usually none or one), all resolutions a step at a time."""
    order = np.lexsort((c_received, c_key))
    key, received = c_key[order], c_received[order]
    lo, hi = _positions(key, received, q_key, q_at), _positions(key, received, q_key, q_at + _RECEIVED_US)
    best = np.full(len(q_key), -1, np.int64)
    best_at = np.full(len(q_key), np.iinfo(np.int64).max)
    best_id = np.full(len(q_key), np.iinfo(np.int64).max)
    for step in range(int((hi - lo).max(initial=0))):
        live = np.flatnonzero(hi - lo > step)
        c = order[lo[live] + step]
        at, pk = c_team_at[c], c_id[c]
        better = (
            (at <= q_at[live] + _WINDOW_US)
            & (pk != q_id[live])
            & ((at < best_at[live]) | ((at == best_at[live]) & (pk < best_id[live])))
        )
        live, c = live[better], c[better]
        best[live], best_at[live], best_id[live] = c, c_team_at[c], c_id[c]
    return best


def matched(f: Filters, now: datetime | None = None) -> Matched:
    """The range's calls resolved by phone and the later call a team took for each, from the calls' kept columns
    (reports/columns.py): the day before the range, the range and the two days after; a call received earlier
    and resolved in the range is read from the calls."""
    cols = call_columns_for(_read_around(f), now or timezone.now(), ("id", "received", "person", "team_at",
                                                                     "resolved", "digits"))  # fmt: skip
    start, end = micros(f.start_at), micros(f.end_at)
    mine = np.flatnonzero((cols["resolved"] >= start) & (cols["resolved"] < end))
    early = _resolved_long_after(f)
    r = {name: np.concatenate([cols[name][mine], early[name]]) for name in ("id", "resolved", "person", "digits")}
    took = np.flatnonzero(cols["team_at"] != NONE)
    c = {name: cols[name][took] for name in ("id", "received", "person", "team_at", "digits")}
    _exact_digits((r["id"], r["digits"]), (c["id"], c["digits"]))
    # The same person when the resolved call has one linked; else the same callback number (its last 10 digits),
    # since the unidentified caller who rings back is the case the measure is for.
    pieces = []
    for by_person, q, cand in (
        (True, r["person"] != NONE, c["person"] != NONE),
        (False, (r["person"] == NONE) & (r["digits"] != NONE), c["digits"] != NONE),
    ):
        key = "person" if by_person else "digits"
        q, cand = np.flatnonzero(q), np.flatnonzero(cand)
        found = first_later(r[key][q], r["resolved"][q], r["id"][q], c[key][cand], c["received"][cand],
                            c["team_at"][cand], c["id"][cand])  # fmt: skip
        hit = found >= 0
        q, later = q[hit], cand[found[hit]]
        pieces.append((q, later, np.full(len(q), by_person)))
    q = np.concatenate([p[0] for p in pieces])
    later = np.concatenate([p[1] for p in pieces])
    return Matched(
        ids=r["id"], phone=r["id"][q], resolved=r["resolved"][q], by_person=np.concatenate([p[2] for p in pieces]),
        later=c["id"][later], received=c["received"][later], team_at=c["team_at"][later],
    )  # fmt: skip


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
    f: Filters,
    *,
    details: bool = False,
    page: int = 1,
    page_size: int | None = PAIRS_PAGE_SIZE,
    now: datetime | None = None,
) -> tuple[Table, Pairs | None]:
    """The counts per cohort over the whole range; with `details`, one page of the pairs too (every pair when
    `page_size` is None, for the CSV), for the drill-down."""
    m = matched(f, now)
    ids = m.ids.tolist()
    needed = set(m.phone.tolist())
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
    # Newest resolution first; only the page's pairs become rows (a year holds ~30,000 at 1,000,000 calls, and
    # rendering them all made a 1.5 MB page that took 6 s).
    order = np.lexsort((m.phone, m.resolved))[::-1]
    shown = order if page_size is None else order[(page - 1) * page_size : page * page_size]
    on_page = set(m.phone[shown].tolist())
    labels_of: dict[int, list[str]] = {}
    for key, label, members in cohorts:
        if key != ALL:
            for call_id in on_page & members:
                labels_of.setdefault(call_id, []).append(label)
    return table, Pairs([m.pair(n) for n in shown], len(order), labels_of)


def phone_then_field_report(
    f: Filters, *, page: int = 1, page_size: int | None = PAIRS_PAGE_SIZE, now: datetime | None = None
) -> Report:
    """The drill-down: the summary over the whole range and one page of the pairs (newest first), with links to
    both calls; `page_size=None` lists every pair (the CSV)."""
    summary, pairs = summary_table(f, details=True, page=page, page_size=page_size, now=now)
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
