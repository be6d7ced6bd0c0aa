"""The outcomes report: how closed calls ended, law-enforcement involvement, and repeat calls."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from dispatch.models import Disposition, Status, Tier

from .columns import NONE, CallColumns, call_columns_for, micros
from .filters import Filters, local_tz
from .tables import Column, Report, Table, share_of

LAW_ENFORCEMENT_TIERS = (Tier.CO_RESPONSE, Tier.LE_EMS)
LAW_ENFORCEMENT_DISPOSITIONS = (Disposition.POLICE_ARREST, Disposition.HANDED_TO_LE_EMS)
NO_LAW_ENFORCEMENT_DEFINITION = (
    "No law-enforcement involvement: the call's tier was neither co-response nor law-enforcement/EMS-led, "
    "and it did not end in police involvement/arrest or a hand-over to police/EMS."
)
REPEAT_DAYS = 30
NEEDS = ("id", "received", "person", "tier", "status", "disposition")  # of the columns (reports/columns.py)


def _count(mask: np.ndarray) -> int:
    return int(mask.sum())


def _is(cols: CallColumns, name: str, values) -> np.ndarray:
    """Per call: is the coded column one of `values` (a NULL never is)."""
    return np.isin(cols[name], [n for n, v in enumerate(cols.vocabulary[name]) if v in values])


def _repeat_calls(cols: CallColumns, window_start: datetime) -> np.ndarray:
    """Per call: about a known person whose previous call (by receipt, then id), received from `window_start` on,
    was within REPEAT_DAYS (LAG over the person's calls, as the SQL had it)."""
    person, received = cols["person"], cols["received"]
    considered = np.flatnonzero((person != NONE) & (received >= micros(window_start)))
    order = considered[np.lexsort((cols["id"][considered], received[considered], person[considered]))]
    same_person = person[order][1:] == person[order][:-1]
    within = received[order][:-1] >= received[order][1:] - REPEAT_DAYS * 86_400 * 1_000_000
    out = np.zeros(len(person), dtype=bool)
    out[order[1:]] = same_person & within
    return out


def outcomes_report(f: Filters, *, now: datetime | None = None) -> Report:
    # Every figure is a count over the calls' columns (reports/columns.py: kept days, and the others from the
    # calls), with the conditions the SQL had; a year at 1,000,000 calls took 2 s of scans and a window sort.
    now = now or timezone.now()
    window_start = f.start_at - timedelta(days=REPEAT_DAYS)
    # The repeat window reads from REPEAT_DAYS before the range, whatever the program or team, so a prior call
    # counts wherever it went.
    first_day = timezone.localtime(window_start, local_tz()).date()
    everyone = call_columns_for(Filters(start=first_day, end=f.end), now, NEEDS)
    received = everyone["received"]
    in_range = (received >= micros(f.start_at)) & (received < micros(f.end_at))
    if f.program is not None:
        in_range &= everyone["program"] == f.program.pk
    if f.team is not None:
        in_range &= everyone["team"] == f.team.pk
    closed = in_range & _is(everyone, "status", (Status.CLOSED,)) & ~_is(everyone, "disposition", ("",))
    law_enforcement = _is(everyone, "tier", LAW_ENFORCEMENT_TIERS) | _is(
        everyone, "disposition", LAW_ENFORCEMENT_DISPOSITIONS
    )
    c = {
        "closed": _count(closed),
        "by_phone": _count(closed & _is(everyone, "disposition", (Disposition.RESOLVED_BY_PHONE,))),
        "no_le": _count(closed & ~law_enforcement),
        "arrest": _count(closed & _is(everyone, "disposition", (Disposition.POLICE_ARREST,))),
        "hold": _count(closed & _is(everyone, "disposition", (Disposition.INVOLUNTARY_HOLD,))),
        "ed": _count(closed & _is(everyone, "disposition", (Disposition.ED_TRANSPORT,))),
        "stabilized": _count(closed & _is(everyone, "disposition", (Disposition.STABILIZED, Disposition.REFERRED))),
    }
    person = everyone["person"]
    known = in_range & (person != NONE)
    repeat = known & _repeat_calls(everyone, window_start)
    r = {
        "with_person": _count(known),
        "people": len(np.unique(person[known])),
        "repeat_calls": _count(repeat),
        "repeat_people": len(np.unique(person[repeat])),
    }
    n = c["closed"]
    summary_rows = [
        {"measure": "Resolved by phone", "calls": c["by_phone"], "of": n, "share": share_of(c["by_phone"], n)},
        {"measure": "No law-enforcement involvement", "calls": c["no_le"], "of": n, "share": share_of(c["no_le"], n)},
        {
            "measure": "Ended in police involvement / arrest",
            "calls": c["arrest"],
            "of": n,
            "share": share_of(c["arrest"], n),
        },
        {"measure": "Ended in an involuntary hold", "calls": c["hold"], "of": n, "share": share_of(c["hold"], n)},
        {
            "measure": "Ended in emergency-department transport",
            "calls": c["ed"],
            "of": n,
            "share": share_of(c["ed"], n),
        },
        {
            "measure": "Stabilized in the community or referred",
            "calls": c["stabilized"],
            "of": n,
            "share": share_of(c["stabilized"], n),
        },
        {
            "measure": f"Calls about a person with another call in the previous {REPEAT_DAYS} days",
            "calls": r["repeat_calls"],
            "of": r["with_person"],
            "share": share_of(r["repeat_calls"], r["with_person"]),
        },
        {
            "measure": f"People with a repeat call within {REPEAT_DAYS} days",
            "calls": r["repeat_people"],
            "of": r["people"],
            "share": share_of(r["repeat_people"], r["people"]),
        },
    ]
    summary = Table(
        "summary",
        "Outcomes",
        [
            Column("measure", "Measure"),
            Column("calls", "Count", "int"),
            Column("of", "Out of", "int"),
            Column("share", "Share", "share"),
        ],
        summary_rows,
        note="Shares of closed calls with a disposition, except the repeat rows (calls or people with a known person).",
    )
    codes, counts = np.unique(everyone["disposition"][closed], return_counts=True)
    names = [*everyone.vocabulary["disposition"], None]
    disp = {names[code]: n for code, n in zip(codes.tolist(), counts.tolist(), strict=True)}
    disp_rows = [
        {"disposition": d.label, "calls": disp.get(d.value, 0), "share": share_of(disp.get(d.value, 0), n)}
        for d in Disposition
    ]
    dispositions = Table(
        "dispositions",
        "Dispositions",
        [Column("disposition", "Disposition"), Column("calls", "Calls", "int"), Column("share", "Share", "share")],
        disp_rows,
    )
    charts = [
        {
            "id": "chart-dispositions",
            "title": "How closed calls ended",
            "type": "bar",
            "horizontal": True,
            "labels": [d["disposition"] for d in disp_rows],
            "datasets": [{"label": "Calls", "data": [d["calls"] for d in disp_rows]}],
            "y_title": "Calls",
        }
    ]
    return Report(
        "outcomes",
        "Outcomes",
        f,
        {"summary": summary, "dispositions": dispositions},
        charts,
        [NO_LAW_ENFORCEMENT_DEFINITION],
    )
