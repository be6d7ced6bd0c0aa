"""The caseload report: open and handled calls per team and responder, and caseloads against program ratios."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.utils import timezone

from dispatch.models import OPEN_STATUSES, Call
from programs import plugins as program_plugins
from responders.models import TeamMember

from .columns import call_columns_for
from .filters import Filters
from .sql import percentile_cont
from .tables import Column, Report, Table


def shift_hours() -> int:
    return int(getattr(settings, "REPORTS_SHIFT_HOURS", 12))


CASELOAD_KEYS = ("team", "program", "staff", "per_staff", "ratio", "status")


def _handled(f: Filters, team_ids: list[int], now: datetime) -> dict[int, dict[str, Any]]:
    """Per team, the calls of the range it was assigned: how many, the hours assigned → closed (closed calls) and
    their median, from the calls' columns (reports/columns.py; a year at 1,000,000 calls was a 1 s scan). The hours
    are an exactly rounded sum (math.fsum), where SQL's SUM added them in the scan's order: the two can differ in
    the last bits, never in the tenth of an hour shown, but for a sum that falls on a rounding boundary."""
    cols = call_columns_for(f, now, NEEDS)
    cols = cols.take((cols["assigned"] == 1) & np.isin(cols["team"], team_ids))
    out = {}
    order = np.argsort(cols["team"], kind="stable")
    teams, starts = np.unique(cols["team"][order], return_index=True)
    for team, members in zip(teams.tolist(), np.split(order, starts[1:]) if len(teams) else [], strict=True):
        task = cols["task"][members]
        task = task[~np.isnan(task)]
        out[team] = {
            "n": len(members),
            "on_task": math.fsum(task.tolist()) if len(task) else None,
            "on_task_pct": percentile_cont(task, (0.5,)) if len(task) else None,
        }
    return out


NEEDS = ("assigned", "task")  # of the columns (reports/columns.py), beside program and team


def caseload_report(f: Filters, *, now: datetime | None = None) -> Report:
    teams = list(f.teams().order_by("program__name", "name"))
    team_ids = [t.pk for t in teams]
    open_by_team = dict(
        Call.objects.filter(status__in=OPEN_STATUSES, team_id__in=team_ids)
        .values_list("team")
        .annotate(n=Count("id"))
        .order_by()
    )
    handled = _handled(f, team_ids, now or timezone.now())
    staff = dict(
        TeamMember.objects.filter(active=True, team_id__in=team_ids)
        .values_list("team")
        .annotate(n=Count("id"))
        .order_by()
    )
    shifts = f.days * 24 / shift_hours()
    team_rows = []
    for t in teams:
        h = handled.get(t.pk, {})
        n = h.get("n", 0)
        team_rows.append(
            {
                "team": t.name,
                "program": t.program.name,
                "staff": staff.get(t.pk, 0),
                "open": open_by_team.get(t.pk, 0),
                "handled": n,
                "per_shift": round(n / shifts, 2),
                "on_task_hours": round((h.get("on_task") or 0) / 3600.0, 1),
                "on_task_median": (h.get("on_task_pct") or [None])[0],
            }
        )
    team_table = Table(
        "teams",
        "Per team",
        [
            Column("team", "Team"),
            Column("program", "Program"),
            Column("staff", "Active staff", "int"),
            Column("open", "Open calls now", "int"),
            Column("handled", "Calls handled", "int"),
            Column("per_shift", "Calls per shift", "number", decimals=2),
            Column("on_task_hours", "Time on task (hours)", "number"),
            Column("on_task_median", "Median time on task per call", "duration"),
        ],
        team_rows,
        note=(
            f"Calls handled: calls received in the range that the team was assigned. A shift is {shift_hours()} hours "
            f"of the range ({shifts:g} shifts). Time on task: assigned → closed, for closed calls."
        ),
    )

    by_team = {r["team"]: r for r in team_rows}
    members = (
        TeamMember.objects.filter(active=True, team_id__in=team_ids)
        .select_related("user", "team")
        .order_by("team__name", "user__last_name", "user__first_name")
    )
    responder_rows = [
        {
            "responder": m.user.get_full_name() or m.user.get_username(),
            "team": m.team.name,
            "credential": m.get_credential_display(),
            "open": by_team[m.team.name]["open"],
            "handled": by_team[m.team.name]["handled"],
            "on_task_hours": by_team[m.team.name]["on_task_hours"],
        }
        for m in members
    ]
    responder_table = Table(
        "responders",
        "Per responder",
        [
            Column("responder", "Responder"),
            Column("team", "Team"),
            Column("credential", "Credential"),
            Column("open", "Open calls now", "int"),
            Column("handled", "Calls handled", "int"),
            Column("on_task_hours", "Time on task (hours)", "number"),
        ],
        responder_rows,
        note="Calls are assigned to teams, so each responder is credited with their team's calls.",
    )

    # Clients on each team's caseload come from the programs (FACT enrollments, people outreach engaged, ...):
    # each program's plug-in adds its own columns, and the report adds them up.
    program_columns = program_plugins.report_columns("caseload")
    clashes = {c.key for c in program_columns} & set(CASELOAD_KEYS)
    if clashes:
        raise ImproperlyConfigured(f"Program caseload columns reuse the report's own keys: {sorted(clashes)}")
    counts = {
        c.key: c.compute(team_ids=team_ids, start_at=f.start_at, end_at=f.end_at, end_date=f.end)
        for c in program_columns
    }
    case_rows = []
    for t in teams:
        own = {key: by_team.get(t.pk, 0) for key, by_team in counts.items()}
        clients = sum(own.values())
        ratio = t.program.clients_per_staff
        if not clients and not ratio:
            continue
        s = staff.get(t.pk, 0)
        per_staff = round(clients / s, 1) if s else None
        status = "–"
        if ratio and per_staff is not None:
            status = "Over ratio" if per_staff > ratio else "Within ratio"
        case_rows.append(
            {"team": t.name, "program": t.program.name}
            | own
            | {"staff": s, "per_staff": per_staff, "ratio": ratio, "status": status}
        )
    case_table = Table(
        "caseload",
        "Active caseload per staff member",
        [Column("team", "Team"), Column("program", "Program")]
        + [Column(c.key, c.label, c.kind) for c in program_columns]
        + [
            Column("staff", "Active staff", "int"),
            Column("per_staff", "Clients per staff", "number"),
            Column("ratio", "Program ratio (clients per staff)", "number", decimals=0),
            Column("status", "Against ratio"),
        ],
        case_rows,
        note=" ".join(c.note for c in program_columns if c.note),
    )
    ratio_rows = [r for r in case_rows if r["ratio"]]
    charts = [
        {
            "id": "chart-teams",
            "title": "Calls per team",
            "type": "bar",
            "labels": [r["team"] for r in team_rows],
            "datasets": [
                {"label": "Calls handled", "data": [r["handled"] for r in team_rows]},
                {"label": "Open now", "data": [r["open"] for r in team_rows]},
            ],
            "y_title": "Calls",
        },
        {
            "id": "chart-caseload",
            "title": "Clients per staff member against the program ratio",
            "type": "bar",
            "labels": [r["team"] for r in ratio_rows],
            "datasets": [
                {"label": "Clients per staff", "data": [r["per_staff"] for r in ratio_rows]},
                {"label": "Program ratio", "data": [r["ratio"] for r in ratio_rows]},
            ],
            "y_title": "Clients per staff",
        },
    ]
    return Report(
        "caseload",
        "Caseload",
        f,
        {"teams": team_table, "responders": responder_table, "caseload": case_table},
        charts,
    )
