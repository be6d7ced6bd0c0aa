"""Supervisor reports: selectors that aggregate in the database.

Every number here comes from one GROUP BY / aggregate query (Django ORM
annotations; medians and 90th percentiles with PostgreSQL's percentile_cont,
and on SQLite with an aggregate registered on the connection that computes the
same linear interpolation). Python only merges the handful of aggregated rows
and formats them.

Intervals read the call's own denormalised timestamps (received_at,
triaged_at, assigned_at, arrived_at, closed_at), which dispatch.services
writes on each transition; the CallEvent timeline is the audit trail, not the
source for reports. A missing timestamp leaves the call out of that interval
(SQL NULL), so it neither crashes nor counts as zero.

A report returns a Report: named Tables, each with raw rows (for the JSON API)
and display rows (for the page and the CSV, which are therefore identical).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Aggregate,
    Case,
    Count,
    F,
    Field,
    FloatField,
    Func,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    Floor,
    Lag,
    TruncDate,
    TruncMonth,
    TruncWeek,
)
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone

from programs.fact.models import Enrollment
from programs.homeless_outreach.models import OutreachContact
from programs.mobile_crisis.models import FollowUp
from programs.models import Program
from responders.models import Team, TeamMember

from .models import OPEN_STATUSES, Call, Disposition, Source, Status, Tier
from .standards import Standard, configured_standards

# ---------------------------------------------------------------------------
# Database helpers


class Seconds(Func):
    """Seconds from `start` to `end` as a float; NULL when either is NULL."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL and others
        return super().as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision", arg_joiner=" - "
        )

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() keeps milliseconds; rounding removes float noise so 30 s is 30.0.
        return super().as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s)) * 86400.0, 3)",
            arg_joiner=") - julianday(",
        )


class _SqlitePercentiles:
    """percentile_cont for SQLite, with PostgreSQL's linear interpolation: several
    percentiles from one sort, as a JSON list (PostgreSQL returns an array)."""

    def __init__(self):
        self.values: list[float] = []
        self.fraction = ""

    def step(self, value, fractions):
        if value is not None:
            self.values.append(value)
        self.fraction = fractions

    def finalize(self):
        if not self.values:
            return None
        values = sorted(self.values)
        out = []
        for fraction in (float(x) for x in self.fraction.split(",")):
            k = (len(values) - 1) * fraction
            lo, hi = math.floor(k), math.ceil(k)
            out.append(values[lo] + (values[hi] - values[lo]) * (k - lo))
        return json.dumps(out)


class _FloatList(Field):
    def get_internal_type(self):
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return [float(v) for v in (json.loads(value) if isinstance(value, str) else value)]


class Percentiles(Aggregate):
    """Several continuous percentiles of one expression with a single sort: a list, or None when no rows."""

    name = "Percentiles"
    output_field = _FloatList()

    def __init__(self, expression, fractions: tuple[float, ...], **extra):
        self.fractions = tuple(float(x) for x in fractions)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra):
        array = ", ".join(str(x) for x in self.fractions)
        return super().as_sql(
            compiler,
            connection,
            template=f"percentile_cont(ARRAY[{array}]::double precision[]) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        connection.ensure_connection()
        connection.connection.create_aggregate("crisis_percentiles", 2, _SqlitePercentiles)
        fractions = ",".join(str(x) for x in self.fractions)
        return super().as_sql(
            compiler, connection, template=f"crisis_percentiles(%(expressions)s, '{fractions}')", **extra
        )


def _local_tz():
    return timezone.get_current_timezone()


# ---------------------------------------------------------------------------
# Filters


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    program: Program | None = None
    team: Team | None = None

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=_local_tz())

    @property
    def end_at(self) -> datetime:  # exclusive
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=_local_tz())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def calls(self):
        qs = Call.objects.filter(received_at__gte=self.start_at, received_at__lt=self.end_at)
        if self.program is not None:
            qs = qs.filter(program=self.program)
        if self.team is not None:
            qs = qs.filter(team=self.team)
        return qs

    def teams(self):
        qs = Team.objects.select_related("program")
        if self.program is not None:
            qs = qs.filter(program=self.program)
        if self.team is not None:
            qs = qs.filter(pk=self.team.pk)
        return qs

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "program": self.program.pk if self.program else None,
            "team": self.team.pk if self.team else None,
        }


# ---------------------------------------------------------------------------
# Tables


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(round(seconds))
    sign, s = ("-", -s) if s < 0 else ("", s)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"


def fmt_share(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def fmt_number(value: float | None, decimals: int = 1) -> str:
    return "–" if value is None else f"{value:,.{decimals}f}"


def fmt_datetime(value: datetime | None) -> str:
    return "–" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


FORMATTERS = {
    "text": lambda v: "–" if v is None or v == "" else str(v),
    "int": lambda v: "0" if v is None else f"{int(v):,}",
    "id": lambda v: "–" if v is None else str(v),
    "duration": fmt_duration,
    "share": fmt_share,
    "datetime": fmt_datetime,
}


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"
    decimals: int = 1  # for kind "number"
    link: str | None = None  # URL name taking the raw value, for the page only (e.g. the call's page)

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""
    total: int | None = None  # when rows is one page of a longer list
    page: int = 1
    page_size: int | None = None

    def display_rows(self) -> list[list[str]]:
        def fmt(c: Column, v):
            return fmt_number(v, c.decimals) if c.kind == "number" else FORMATTERS[c.kind](v)

        return [[fmt(c, row.get(c.key)) for c in self.columns] for row in self.rows]

    def cells(self) -> list[list[tuple[str, bool, str | None]]]:
        """display_rows with each cell's numeric flag and link, for the page."""
        out = []
        for raw, shown in zip(self.rows, self.display_rows(), strict=True):
            out.append(
                [
                    (text, c.numeric, reverse(c.link, args=[raw[c.key]]) if c.link and raw.get(c.key) else None)
                    for c, text in zip(self.columns, shown, strict=True)
                ]
            )
        return out

    def header(self) -> list[str]:
        return [c.label for c in self.columns]

    def as_json(self) -> dict[str, Any]:
        def raw(v):
            if isinstance(v, datetime | date):
                return v.isoformat()
            return v

        return {
            "title": self.title,
            "note": self.note,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [{c.key: raw(r.get(c.key)) for c in self.columns} for r in self.rows],
            "total": self.total if self.total is not None else len(self.rows),
            "page": self.page,
        }


@dataclass
class Report:
    name: str
    title: str
    filters: Filters
    tables: dict[str, Table]
    charts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "title": self.title,
            "filters": self.filters.as_dict(),
            "notes": self.notes,
            "tables": {k: t.as_json() for k, t in self.tables.items()},
        }


def _share(part, whole) -> float | None:
    return None if not whole else part / whole


# ---------------------------------------------------------------------------
# Response intervals

INTERVALS = (
    ("triage", "Received → triaged", "received_at", "triaged_at"),
    ("assign", "Triaged → assigned", "triaged_at", "assigned_at"),
    ("arrive", "Assigned → on scene", "assigned_at", "arrived_at"),
    ("on_scene", "Time on scene", "arrived_at", "closed_at"),
    ("close", "Received → closed", "received_at", "closed_at"),
)

WEEKDAYS = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday", 6: "Saturday", 7: "Sunday"}

# Breakdown key → (label, expression to group by, how to label a group value).
BREAKDOWNS: dict[str, tuple[str, Any]] = {
    "program": ("Program", "program__name"),
    "team": ("Team", "team__name"),
    "tier": ("Tier", "tier"),
    "priority": ("Priority", "priority"),
    "source": ("Source", "source"),
    "hour": ("Hour of day", None),
    "weekday": ("Day of week", None),
}


def _interval_expr(start: str, end: str):
    end_expr = F(end)
    if end == "closed_at":
        # A cancelled call's closed_at is when it was dropped, not resolved.
        end_expr = Case(When(status=Status.CLOSED, then=F("closed_at")), default=None)
    return Seconds(end_expr, F(start))


def _interval_aggregates() -> dict[str, Any]:
    out = {}
    for key, _label, start, end in INTERVALS:
        expr = _interval_expr(start, end)
        out[f"{key}_n"] = Count(expr)
        out[f"{key}_pct"] = Percentiles(expr, (0.5, 0.9))
    return out


def _unpack_percentiles(row: dict[str, Any]) -> dict[str, Any]:
    for key, *_ in INTERVALS:
        median, p90 = row.pop(f"{key}_pct") or (None, None)
        row[f"{key}_median"], row[f"{key}_p90"] = median, p90
    return row


def _group_label(by: str, value) -> str:
    if value is None or value == "":
        return "(none)"
    if by == "tier":
        return Tier(value).label if value in Tier.values else value
    if by == "source":
        return Source(value).label if value in Source.values else value
    if by == "priority":
        return f"P{value}"
    if by == "hour":
        return f"{int(value):02d}:00"
    if by == "weekday":
        return WEEKDAYS.get(int(value), str(value))
    return str(value)


DIST_BIN_MINUTES = 5
DIST_MAX_MINUTES = 120


def intervals_report(f: Filters, *, by: str = "program") -> Report:
    if by not in BREAKDOWNS:
        raise ValueError(by)
    calls = f.calls()
    overall = _unpack_percentiles(calls.aggregate(calls=Count("id"), **_interval_aggregates()))
    rows = [
        {
            "interval": label,
            "n": overall[f"{key}_n"],
            "median": overall[f"{key}_median"],
            "p90": overall[f"{key}_p90"],
        }
        for key, label, _s, _e in INTERVALS
    ]
    summary = Table(
        "summary",
        "All calls",
        [
            Column("interval", "Interval"),
            Column("n", "Calls measured", "int"),
            Column("median", "Median", "duration"),
            Column("p90", "90th percentile", "duration"),
        ],
        rows,
        note=f"{overall['calls']:,} calls received in the range. Durations are h:mm:ss or m:ss.",
    )

    label, group_field = BREAKDOWNS[by]
    if by == "hour":
        grouped = calls.annotate(g=ExtractHour("received_at", tzinfo=_local_tz()))
    elif by == "weekday":
        grouped = calls.annotate(g=ExtractIsoWeekDay("received_at", tzinfo=_local_tz()))
    else:
        grouped = calls.annotate(g=F(group_field))
    groups = grouped.values("g").annotate(calls=Count("id"), **_interval_aggregates()).order_by("g")
    by_rows = []
    for g in map(_unpack_percentiles, groups):
        row = {"group": _group_label(by, g["g"]), "calls": g["calls"]}
        for key, *_ in INTERVALS:
            row[f"{key}_median"] = g[f"{key}_median"]
            row[f"{key}_p90"] = g[f"{key}_p90"]
        by_rows.append(row)
    by_columns = [Column("group", label), Column("calls", "Calls", "int")]
    for key, ilabel, *_ in INTERVALS:
        by_columns += [
            Column(f"{key}_median", f"{ilabel}: median", "duration"),
            Column(f"{key}_p90", f"{ilabel}: p90", "duration"),
        ]
    by_table = Table("by", f"By {label.lower()}", by_columns, by_rows)

    # Distribution of assigned → on scene, in 5-minute bins (the last bin is "120 min or more").
    arrive = Seconds(F("arrived_at"), F("assigned_at"))
    bins = (
        calls.annotate(b=Floor(arrive / (DIST_BIN_MINUTES * 60.0)))
        .filter(b__isnull=False)
        .values("b")
        .annotate(n=Count("id"))
        .order_by("b")
    )
    last = DIST_MAX_MINUTES // DIST_BIN_MINUTES
    counts = dict.fromkeys(range(last + 1), 0)
    for b in bins:
        counts[min(max(int(b["b"]), 0), last)] += b["n"]
    dist_rows = [
        {
            "bin": f"{i * DIST_BIN_MINUTES}–{(i + 1) * DIST_BIN_MINUTES} min"
            if i < last
            else f"{DIST_MAX_MINUTES}+ min",
            "calls": n,
        }
        for i, n in counts.items()
    ]
    dist = Table(
        "distribution",
        "Assigned → on scene: distribution",
        [Column("bin", "Minutes"), Column("calls", "Calls", "int")],
        dist_rows,
    )

    charts = [
        {
            "id": "chart-distribution",
            "title": "How long teams take to get on scene once assigned",
            "type": "bar",
            "labels": [r["bin"] for r in dist_rows],
            "datasets": [{"label": "Calls", "data": [r["calls"] for r in dist_rows]}],
            "y_title": "Calls",
        },
        {
            "id": "chart-by",
            "title": f"Assigned → on scene by {label.lower()} (minutes)",
            "type": "bar",
            "labels": [r["group"] for r in by_rows],
            "datasets": [
                {"label": "Median", "data": [_minutes(r["arrive_median"]) for r in by_rows]},
                {"label": "90th percentile", "data": [_minutes(r["arrive_p90"]) for r in by_rows]},
            ],
            "y_title": "Minutes",
        },
    ]
    notes = [
        "Each interval counts only calls that have both timestamps; a call without an arrival time is left out "
        "of the arrival interval, not counted as zero.",
        "Time on scene runs from arrival to close (it includes any transport). Cancelled calls have no close interval.",
    ]
    return Report(
        "intervals", "Response intervals", f, {"summary": summary, "by": by_table, "distribution": dist}, charts, notes
    )


def _minutes(seconds):
    return None if seconds is None else round(seconds / 60.0, 1)


# ---------------------------------------------------------------------------
# Standards


def _target_expr(std: Standard):
    if isinstance(std.target_seconds, dict):
        whens = [When(area_type=k, then=Value(float(v))) for k, v in std.target_seconds.items() if k != "default"]
        return Case(*whens, default=Value(float(std.target_seconds["default"])), output_field=FloatField())
    return Value(float(std.target_seconds), output_field=FloatField())


@dataclass(frozen=True)
class StandardSQL:
    """One standard as SQL conditions over calls, so all standards count in one scan."""

    applicable: Q
    measured: Q  # applicable and the clock has stopped (or, for an overdue-is-breach standard, ran out)
    met: Q  # measured and within target
    secs: Any  # the time taken (for overdue ones, so far): for the breach list
    target: Any


def standard_sql(std: Standard, now: datetime, f: Filters) -> StandardSQL:
    applicable = Q(**{f"{std.start}__isnull": False})
    if std.tiers is not None:
        applicable &= Q(tier__in=std.tiers)
    target = _target_expr(std)
    if std.end == "follow_up_completed_at":
        # The first completed follow-up, against a target that is one number.
        # `pk IN (uncorrelated subquery)` is hashed once by PostgreSQL instead of
        # being looked up for every call.
        limit = timedelta(seconds=std.target_for(None))
        within = FollowUp.objects.filter(
            completed_at__isnull=False,
            completed_at__lte=F("call__" + std.start) + limit,
            call__received_at__gte=f.start_at,
            call__received_at__lt=f.end_at,
        ).values("call_id")
        met = applicable & Q(pk__in=within)
        ran_out = Q(**{f"{std.start}__lt": now - limit})
        measured = applicable & (Q(pk__in=within) | ran_out) if std.overdue_is_breach else met
        first = Subquery(
            FollowUp.objects.filter(call=OuterRef("pk"), completed_at__isnull=False)
            .values("call")
            .annotate(first=Min("completed_at"))
            .values("first")[:1]
        )
        secs = Coalesce(Seconds(first, F(std.start)), Seconds(Value(now), F(std.start)))
        return StandardSQL(applicable, measured, met, secs, target)
    secs = Seconds(F(std.end), F(std.start))
    measured = applicable & Q(**{f"{std.end}__isnull": False})
    if std.overdue_is_breach:
        measured |= applicable & Q(
            **{f"{std.end}__isnull": True, f"{std.start}__lt": now - timedelta(seconds=std.target_for(None))}
        )
        secs = Coalesce(secs, Seconds(Value(now), F(std.start)))
    met = measured & LessThanOrEqual(secs, target)
    return StandardSQL(applicable, measured, met, secs, target)


def _standard_counts(standards, now, f) -> dict[str, Any]:
    out = {}
    for std in standards:
        sq = standard_sql(std, now, f)
        out[f"{std.key}__applicable"] = Count("id", filter=sq.applicable)
        out[f"{std.key}__measured"] = Count("id", filter=sq.measured)
        out[f"{std.key}__met"] = Count("id", filter=sq.met)
    return out


def _describe_target(std: Standard) -> str:
    if isinstance(std.target_seconds, dict):
        return " / ".join(f"{fmt_duration(v)} {k}" for k, v in std.target_seconds.items() if k != "default")
    return fmt_duration(std.target_seconds)


BREACH_PAGE_SIZE = 100


def standards_report(
    f: Filters,
    *,
    now: datetime | None = None,
    standard: str | None = None,
    page: int = 1,
    page_size: int | None = BREACH_PAGE_SIZE,
) -> Report:
    now = now or timezone.now()
    standards = configured_standards()
    by_key = {s.key: s for s in standards}
    chosen = by_key[standard] if standard else by_key["arrival"]

    counts = f.calls().aggregate(**_standard_counts(standards, now, f))
    summary_rows = []
    for std in standards:
        c = {k: counts[f"{std.key}__{k}"] for k in ("applicable", "measured", "met")}
        share = _share(c["met"], c["measured"])
        summary_rows.append(
            {
                "standard": std.label,
                "short": std.short or std.label,
                "key": std.key,
                "target": _describe_target(std),
                "goal": std.goal,
                "measured": c["measured"],
                "met": c["met"],
                "breached": c["measured"] - c["met"],
                "share": share,
                "goal_met": "–" if share is None else ("Yes" if share >= std.goal else "No"),
                "not_measured": c["applicable"] - c["measured"],
            }
        )
    summary = Table(
        "summary",
        "Share meeting each standard",
        [
            Column("standard", "Standard"),
            Column("target", "Target"),
            Column("goal", "Goal", "share"),
            Column("measured", "Calls measured", "int"),
            Column("met", "Met", "int"),
            Column("breached", "Breached", "int"),
            Column("share", "Share met", "share"),
            Column("goal_met", "Goal met"),
            Column("not_measured", "Not measurable or pending", "int"),
        ],
        summary_rows,
    )

    # Over time: by day for short ranges, by week up to a year, then by month.
    if f.days <= 62:
        trunc, period_label = TruncDate, "Day"
    elif f.days <= 400:
        trunc, period_label = TruncWeek, "Week of"
    else:
        trunc, period_label = TruncMonth, "Month of"
    periods: dict[Any, dict[str, Any]] = {}
    by_period = (
        f.calls()
        .annotate(period=trunc("received_at", tzinfo=_local_tz()))
        .values("period")
        .annotate(**_standard_counts(standards, now, f))
        .order_by("period")
    )
    for r in by_period:
        p = r["period"].date() if isinstance(r["period"], datetime) else r["period"]
        periods[p] = {"period": p.isoformat()} | {
            std.key: _share(r[f"{std.key}__met"], r[f"{std.key}__measured"]) for std in standards
        }
    time_rows = [periods[p] for p in sorted(periods)]
    over_time = Table(
        "over_time",
        "Share meeting each standard over time",
        [Column("period", period_label)] + [Column(s.key, s.label, "share") for s in standards],
        time_rows,
    )

    sq = standard_sql(chosen, now, f)
    breach_qs = (
        f.calls()
        .filter(sq.measured & ~sq.met)
        .annotate(std_secs=sq.secs, std_target=sq.target)
        .order_by("-received_at", "-id")
        .values("id", "received_at", "area_type", "tier", "program__name", "team__name", "std_secs", "std_target")
    )
    total = breach_qs.count()
    if page_size:
        breach_qs = breach_qs[(page - 1) * page_size : page * page_size]
    breach_rows = [
        {
            "call": r["id"],
            "received_at": r["received_at"],
            "area_type": r["area_type"],
            "tier": r["tier"],
            "program": r["program__name"],
            "team": r["team__name"],
            "elapsed": r["std_secs"],
            "target": r["std_target"],
        }
        for r in breach_qs
    ]
    breaches = Table(
        "breaches",
        f"Calls that breached: {chosen.label}",
        [
            Column("call", "Call", "id", link="dispatch:call"),
            Column("received_at", "Received", "datetime"),
            Column("area_type", "Area"),
            Column("tier", "Tier"),
            Column("program", "Program"),
            Column("team", "Team"),
            Column("elapsed", "Took", "duration"),
            Column("target", "Target", "duration"),
        ],
        breach_rows,
        total=total,
        page=page,
        page_size=page_size,
        note=chosen.citation + ". " + chosen.explanation,
    )
    colors = ["#0b5cad", "#c25400", "#1d6b2f", "#7a3e9d"]
    goals = {s.goal for s in standards}
    goal_line = round(goals.pop() * 100, 1) if len(goals) == 1 else None  # one line only when all goals agree
    charts = [
        {
            "id": "chart-standards",
            "title": "Share of calls meeting each standard" + (f" (goal {goal_line:g}%)" if goal_line else ""),
            "type": "bar",
            "labels": [r["short"] for r in summary_rows],
            "datasets": [{"label": "Share met (%)", "data": [_pct(r["share"]) for r in summary_rows]}],
            "y_title": "%",
            "y_max": 100,
            "goal_line": goal_line,
        },
        {
            "id": "chart-over-time",
            "title": "Standards met over time",
            "type": "line",
            "labels": [r["period"] for r in time_rows],
            "datasets": [
                {
                    "label": s.short or s.label,
                    "data": [_pct(r.get(s.key)) for r in time_rows],
                    "color": colors[i % len(colors)],
                }
                for i, s in enumerate(standards)
            ],
            "y_title": "% met",
            "y_max": 100,
        },
    ]
    notes = [f"{s.label}: {s.citation}. {s.explanation}" for s in standards]
    return Report(
        "standards",
        "Against the standards",
        f,
        {"summary": summary, "over_time": over_time, "breaches": breaches},
        charts,
        notes,
    )


def _pct(v):
    return None if v is None else round(v * 100, 1)


# ---------------------------------------------------------------------------
# Outcomes

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
    r = calls.filter(person__isnull=False).aggregate(
        with_person=Count("id"),
        repeat_calls=Count("id", filter=repeat),
        people=Count("person", distinct=True),
        repeat_people=Count("person", distinct=True, filter=repeat),
    )
    n = c["closed"]
    summary_rows = [
        {"measure": "Resolved by phone", "calls": c["by_phone"], "of": n, "share": _share(c["by_phone"], n)},
        {"measure": "No law-enforcement involvement", "calls": c["no_le"], "of": n, "share": _share(c["no_le"], n)},
        {
            "measure": "Ended in police involvement / arrest",
            "calls": c["arrest"],
            "of": n,
            "share": _share(c["arrest"], n),
        },
        {"measure": "Ended in an involuntary hold", "calls": c["hold"], "of": n, "share": _share(c["hold"], n)},
        {"measure": "Ended in emergency-department transport", "calls": c["ed"], "of": n, "share": _share(c["ed"], n)},
        {
            "measure": "Stabilized in the community or referred",
            "calls": c["stabilized"],
            "of": n,
            "share": _share(c["stabilized"], n),
        },
        {
            "measure": f"Calls about a person with another call in the previous {REPEAT_DAYS} days",
            "calls": r["repeat_calls"],
            "of": r["with_person"],
            "share": _share(r["repeat_calls"], r["with_person"]),
        },
        {
            "measure": f"People with a repeat call within {REPEAT_DAYS} days",
            "calls": r["repeat_people"],
            "of": r["people"],
            "share": _share(r["repeat_people"], r["people"]),
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
        {"disposition": d.label, "calls": disp.get(d.value, 0), "share": _share(disp.get(d.value, 0), n)}
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


# ---------------------------------------------------------------------------
# Caseload


def shift_hours() -> int:
    return int(getattr(settings, "REPORTS_SHIFT_HOURS", 12))


def caseload_report(f: Filters) -> Report:
    teams = list(f.teams().order_by("program__name", "name"))
    team_ids = [t.pk for t in teams]
    open_by_team = dict(
        Call.objects.filter(status__in=OPEN_STATUSES, team_id__in=team_ids)
        .values_list("team")
        .annotate(n=Count("id"))
        .order_by()
    )
    on_task = Seconds(Case(When(status=Status.CLOSED, then=F("closed_at")), default=None), F("assigned_at"))
    handled = {
        r["team"]: r
        for r in f.calls()
        .filter(team_id__in=team_ids, assigned_at__isnull=False)
        .values("team")
        .annotate(n=Count("id"), on_task=Sum(on_task), on_task_pct=Percentiles(on_task, (0.5,)))
        .order_by()
    }
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

    # Enrolled caseloads: open FACT enrollments at the end of the range, and
    # people an outreach team contacted during it.
    enrolled = dict(
        Enrollment.objects.filter(team_id__in=team_ids, enrolled_on__lte=f.end)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gt=f.end))
        .values_list("team")
        .annotate(n=Count("id"))
        .order_by()
    )
    engaged = dict(
        OutreachContact.objects.filter(team_id__in=team_ids, at__gte=f.start_at, at__lt=f.end_at)
        .values_list("team")
        .annotate(n=Count("person", distinct=True))
        .order_by()
    )
    case_rows = []
    for t in teams:
        clients = enrolled.get(t.pk, 0) + engaged.get(t.pk, 0)
        ratio = t.program.clients_per_staff
        if not clients and not ratio:
            continue
        s = staff.get(t.pk, 0)
        per_staff = round(clients / s, 1) if s else None
        status = "–"
        if ratio and per_staff is not None:
            status = "Over ratio" if per_staff > ratio else "Within ratio"
        case_rows.append(
            {
                "team": t.name,
                "program": t.program.name,
                "enrolled": enrolled.get(t.pk, 0),
                "engaged": engaged.get(t.pk, 0),
                "staff": s,
                "per_staff": per_staff,
                "ratio": ratio,
                "status": status,
            }
        )
    case_table = Table(
        "caseload",
        "Active caseload per staff member",
        [
            Column("team", "Team"),
            Column("program", "Program"),
            Column("enrolled", "Enrolled clients (FACT)", "int"),
            Column("engaged", "People engaged (outreach)", "int"),
            Column("staff", "Active staff", "int"),
            Column("per_staff", "Clients per staff", "number"),
            Column("ratio", "Program ratio (clients per staff)", "number", decimals=0),
            Column("status", "Against ratio"),
        ],
        case_rows,
        note="Enrolled: open FACT enrollments on the last day of the range. Engaged: distinct people an outreach team "
        "contacted in the range.",
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


REPORTS = {
    "intervals": "Response intervals",
    "standards": "Standards",
    "outcomes": "Outcomes",
    "caseload": "Caseload",
}


def build(
    name: str, f: Filters, *, by: str = "program", standard: str | None = None, page: int = 1, paged: bool = True
) -> Report:
    """One entry point for the page, the CSV and the API, so all three show the same numbers."""
    if name == "intervals":
        return intervals_report(f, by=by)
    if name == "standards":
        return standards_report(f, standard=standard, page=page, page_size=BREACH_PAGE_SIZE if paged else None)
    if name == "outcomes":
        return outcomes_report(f)
    if name == "caseload":
        return caseload_report(f)
    raise KeyError(name)
