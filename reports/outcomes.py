"""The outcomes report: how closed calls ended, law-enforcement involvement, and repeat calls."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, F, Q, Window
from django.db.models.functions import Lag

from dispatch.models import Call, Disposition, Status, Tier

from .filters import Filters
from .tables import Column, Report, Table, share_of

LAW_ENFORCEMENT_TIERS = (Tier.CO_RESPONSE, Tier.LE_EMS)
LAW_ENFORCEMENT_DISPOSITIONS = (Disposition.POLICE_ARREST, Disposition.HANDED_TO_LE_EMS)
NO_LAW_ENFORCEMENT_DEFINITION = (
    "No law-enforcement involvement: the call's tier was neither co-response nor law-enforcement/EMS-led, "
    "and it did not end in police involvement/arrest or a hand-over to police/EMS."
)
REPEAT_DAYS = 30


def outcomes_report(f: Filters) -> Report:
    calls = f.calls()
    closed = calls.filter(status=Status.CLOSED).exclude(disposition="")
    # Repeat calls: the previous call about the same person (LAG over the person's
    # calls, in one sort) was within REPEAT_DAYS. The window reads from REPEAT_DAYS
    # before the range, whatever the program or team, so a prior call counts
    # wherever it went; a correlated EXISTS per call was 100x slower at 100,000 calls.
    window = (
        Call.objects.filter(
            person__isnull=False,
            received_at__gte=f.start_at - timedelta(days=REPEAT_DAYS),
            received_at__lt=f.end_at,
        )
        .annotate(
            previous_at=Window(
                Lag("received_at"), partition_by=F("person"), order_by=(F("received_at").asc(), F("id").asc())
            )
        )
        .filter(previous_at__gte=F("received_at") - timedelta(days=REPEAT_DAYS))
        .values("pk")
    )
    repeat = Q(pk__in=window)
    c = closed.aggregate(
        closed=Count("id"),
        by_phone=Count("id", filter=Q(disposition=Disposition.RESOLVED_BY_PHONE)),
        no_le=Count("id", filter=~Q(tier__in=LAW_ENFORCEMENT_TIERS) & ~Q(disposition__in=LAW_ENFORCEMENT_DISPOSITIONS)),
        arrest=Count("id", filter=Q(disposition=Disposition.POLICE_ARREST)),
        hold=Count("id", filter=Q(disposition=Disposition.INVOLUNTARY_HOLD)),
        ed=Count("id", filter=Q(disposition=Disposition.ED_TRANSPORT)),
        stabilized=Count("id", filter=Q(disposition__in=(Disposition.STABILIZED, Disposition.REFERRED))),
    )
    # Two queries, so the window runs once: both repeat counts in one FILTER each ran it twice (3.5 s a pass
    # at 1,000,000 calls).
    r = calls.filter(person__isnull=False).aggregate(with_person=Count("id"), people=Count("person", distinct=True))
    r |= calls.filter(repeat).aggregate(repeat_calls=Count("id"), repeat_people=Count("person", distinct=True))
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
    disp = dict(closed.values_list("disposition").annotate(n=Count("id")).order_by())
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
