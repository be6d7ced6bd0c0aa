"""The standards report: the share of calls meeting each standard, over time, and the calls that breached one.

The standards themselves are one table in dispatch/standards.py (the live boards' clocks read it too); here
each becomes SQL conditions over calls, so all of them count in one scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncWeek
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from dispatch.models import Call
from dispatch.standards import Standard, column_conditions, configured_standards
from programs import plugins as program_plugins

from . import rollup
from .filters import Filters, local_tz
from .models import KeptStandards
from .sql import Seconds
from .tables import Column, Report, Table, fmt_duration, share_of


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
    # A program's records stop the clock: `within` (the records say it stopped in time) is a hashed subquery
    # that PostgreSQL builds once per occurrence, never sharing identical ones (0.4 s each for 30 days at
    # 1,000,000 calls). The counts group by it (one occurrence) and fold measured and met from `applicable`
    # and `ran_out` per group; the breach list uses `breached`, which names it once.
    within: Q | None = None
    ran_out: Q | None = None
    breached: Q | None = None

    @property
    def breach(self) -> Q:
        return self.breached if self.breached is not None else self.measured & ~self.met


def _is_call_column(name: str) -> bool:
    try:
        Call._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def standard_sql(std: Standard, now: datetime, f: Filters) -> StandardSQL:
    applicable = Q(**{f"{std.start}__isnull": False})
    if std.tiers is not None:
        applicable &= Q(tier__in=std.tiers)
    target = _target_expr(std)
    source = program_plugins.standard_end(std.end)
    if source is not None:
        # A program's records stop this clock (follow-up: the first completed follow-up), against a target
        # that is one number. `pk IN (uncorrelated subquery)` is hashed once by PostgreSQL instead of being
        # looked up for every call.
        limit = timedelta(seconds=std.target_for(None))
        call, at = source.call_field, source.at_field
        within = (
            source.records()
            .filter(
                **{
                    f"{at}__lte": F(f"{call}__{std.start}") + limit,
                    f"{call}__received_at__gte": f.start_at,
                    f"{call}__received_at__lt": f.end_at,
                }
            )
            .values(call)
        )
        in_time = Q(pk__in=within)
        met = applicable & in_time
        ran_out = Q(**{f"{std.start}__lt": now - limit})
        measured = applicable & (in_time | ran_out) if std.overdue_is_breach else met
        # measured & ~met, with the subquery once: (W or R) and not W = R and not W.
        breached = applicable & ~in_time & ran_out if std.overdue_is_breach else Q(pk__isnull=True)
        first = Subquery(
            source.records().filter(**{call: OuterRef("pk")}).values(call).annotate(first=Min(at)).values("first")[:1]
        )
        secs = Coalesce(Seconds(first, F(std.start)), Seconds(Value(now), F(std.start)))
        return StandardSQL(
            applicable, measured, met, secs, target, within=in_time, ran_out=ran_out if std.overdue_is_breach else None,
            breached=breached,
        )  # fmt: skip
    if not _is_call_column(std.end):
        # No installed program keeps the records that end this clock: every applicable call is "not measurable".
        nothing = Q(pk__isnull=True)
        return StandardSQL(applicable, nothing, nothing, Value(None, output_field=FloatField()), target)
    secs = Seconds(F(std.end), F(std.start))
    if not std.overdue_is_breach:
        # The board's figure counts with the same conditions (dispatch.standards.column_conditions).
        _, measured, met = column_conditions(std)
        return StandardSQL(applicable, measured, met, secs, target)
    measured = applicable & Q(**{f"{std.end}__isnull": False})
    measured |= applicable & Q(
        **{f"{std.end}__isnull": True, f"{std.start}__lt": now - timedelta(seconds=std.target_for(None))}
    )
    secs = Coalesce(secs, Seconds(Value(now), F(std.start)))
    met = measured & LessThanOrEqual(secs, target)
    return StandardSQL(applicable, measured, met, secs, target)


def _standard_counts(sqls: dict[str, StandardSQL]) -> dict[str, Any]:
    out = {}
    for key, sq in sqls.items():
        out[f"{key}__applicable"] = Count("id", filter=sq.applicable)
        if sq.within is not None:
            # Measured and met come from the groups of `within` (_fold_periods).
            if sq.ran_out is not None:
                out[f"{key}__ran_out"] = Count("id", filter=sq.applicable & sq.ran_out)
            continue
        out[f"{key}__measured"] = Count("id", filter=sq.measured)
        out[f"{key}__met"] = Count("id", filter=sq.met)
    return out


def _within_groups(sqls: dict[str, StandardSQL]) -> dict[str, Any]:
    return {
        f"{key}__within": ExpressionWrapper(sq.within, output_field=BooleanField())
        for key, sq in sqls.items()
        if sq.within is not None
    }


def _fold_periods(rows: list[dict[str, Any]], sqls: dict[str, StandardSQL], keys: tuple[str, ...] = ("period",)):
    """One row per period (and `keys`): the rows of one period (one per combination of the `within` groups) added
    up, with each program-stopped standard's measured and met counted from its groups: met = applicable within
    time; measured = met + (applicable, not within time, clock ran out) when overdue counts as a breach, else met."""
    periods: dict[Any, dict[str, Any]] = {}
    for r in rows:
        key = tuple(r[k] for k in keys)
        out = periods.setdefault(key, {k: r[k] for k in keys})
        for std_key, sq in sqls.items():
            applicable = r[f"{std_key}__applicable"]
            if sq.within is None:
                counts = {"applicable": applicable, "measured": r[f"{std_key}__measured"], "met": r[f"{std_key}__met"]}
            elif r[f"{std_key}__within"]:
                counts = {"applicable": applicable, "measured": applicable, "met": applicable}
            else:
                ran_out = r[f"{std_key}__ran_out"] if sq.ran_out is not None else 0
                counts = {"applicable": applicable, "measured": ran_out, "met": 0}
            for k, n in counts.items():
                out[f"{std_key}__{k}"] = out.get(f"{std_key}__{k}", 0) + n
    return [periods[p] for p in sorted(periods, key=lambda k: tuple((v is None, v or 0) for v in k))]


def count_standards(calls, sqls: dict[str, StandardSQL], trunc, keys: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Every standard's applicable / measured / met per period of `trunc` (and per `keys`), in one scan of `calls`.
    The report counts this way, and so does the per-day rollup (reports/rollup.py), so both count alike."""
    groups = _within_groups(sqls)
    rows = (
        calls.annotate(period=trunc("received_at", tzinfo=local_tz()), **groups)
        .values("period", *keys, *groups)
        .annotate(**_standard_counts(sqls))
        .order_by("period", *keys, *groups)
    )
    return _fold_periods(list(rows), sqls, ("period", *keys))


def running_clocks(calls, sqls: dict[str, StandardSQL], standards: tuple[Standard, ...], now: datetime):
    """Per local day of receipt, the first moment a clock still running at `now` runs out and turns a call's
    standard from pending to measured by time alone (overdue-is-breach standards): {day: datetime}."""
    out: dict[Any, datetime] = {}
    for std in standards:
        sq = sqls[std.key]
        if not std.overdue_is_breach or (sq.within is None and not _is_call_column(std.end)):
            continue
        # The longest target: a clock on a call whose target is longer than the default still decides met.
        limit = timedelta(seconds=max(_targets(std)))
        running = sq.applicable & Q(**{f"{std.start}__gte": now - limit})
        running &= ~sq.within if sq.within is not None else Q(**{f"{std.end}__isnull": True})
        firsts = (
            calls.filter(running)
            .annotate(day=TruncDate("received_at", tzinfo=local_tz()))
            .values("day")
            .annotate(first=Min(std.start))
            .order_by()
        )
        for r in firsts:
            ends = r["first"] + limit
            out[r["day"]] = min(out.get(r["day"], ends), ends)
    return out


def _targets(std: Standard) -> list[float]:
    if isinstance(std.target_seconds, dict):
        return [float(v) for v in std.target_seconds.values()]
    return [float(std.target_seconds)]


def _describe_target(std: Standard) -> str:
    if isinstance(std.target_seconds, dict):
        return " / ".join(f"{fmt_duration(v)} {k}" for k, v in std.target_seconds.items() if k != "default")
    return fmt_duration(std.target_seconds)


BREACH_PAGE_SIZE = 100


def standards_keep(calls, span: Filters, days: list, now: datetime) -> dict:
    """Keep the standards' counts of `days` (reports/keep.py holds their locks): `calls` are the days' calls, `span`
    the range they lie in. Returns, per day, when a running clock runs out (reports/rollup.py `good_until`)."""
    standards = configured_standards()
    sqls = {std.key: standard_sql(std, now, span) for std in standards}
    rows = count_standards(calls, sqls, TruncDate, keys=("program_id", "team_id"))
    KeptStandards.objects.filter(day__in=days).delete()
    KeptStandards.objects.bulk_create(
        KeptStandards(
            day=r["period"],
            program_id=r["program_id"],
            team_id=r["team_id"],
            counts={k: n for k, n in r.items() if "__" in k},
        )
        for r in rows
    )
    return running_clocks(calls, sqls, standards, now)


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

    # Over time: by day for short ranges, by week up to a year, then by month.
    if f.days <= 62:
        trunc, period_label, period = TruncDate, "Day", "day"
    elif f.days <= 400:
        trunc, period_label, period = TruncWeek, "Week of", "week"
    else:
        trunc, period_label, period = TruncMonth, "Month of", "month"
    sqls = {std.key: standard_sql(std, now, f) for std in standards}
    # Days whose counts the rollup keeps (reports/rollup.py) are added up from it; the rest (today, a day a change
    # made stale) are counted from the calls, with the same conditions.
    stored = rollup.stored_days(f, now)
    by_period = []
    if (rest := rollup.not_kept(f, stored)) is not None:
        # Over the span of the days not kept: a program's records that stop a clock are read for those days only.
        span, calls = rest
        by_period = count_standards(calls, {std.key: standard_sql(std, now, span) for std in standards}, trunc)
    by_period = rollup.add_stored(by_period, f, stored, period)
    # Counts add up: the summary is the sum of the periods' counts, so the range is scanned once, not twice
    # (each scan is 3-4 s at 1,000,000 calls a year).
    keys = [f"{std.key}__{k}" for std in standards for k in ("applicable", "measured", "met")]
    counts = {key: sum(r[key] for r in by_period) for key in keys}
    summary_rows = []
    for std in standards:
        c = {k: counts[f"{std.key}__{k}"] for k in ("applicable", "measured", "met")}
        share = share_of(c["met"], c["measured"])
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

    periods: dict[Any, dict[str, Any]] = {}
    for r in by_period:
        p = r["period"].date() if isinstance(r["period"], datetime) else r["period"]
        periods[p] = {"period": p.isoformat()} | {
            std.key: share_of(r[f"{std.key}__met"], r[f"{std.key}__measured"]) for std in standards
        }
    time_rows = [periods[p] for p in sorted(periods)]
    over_time = Table(
        "over_time",
        "Share meeting each standard over time",
        [Column("period", period_label)] + [Column(s.key, s.label, "share") for s in standards],
        time_rows,
    )

    sq = sqls[chosen.key]
    breach_qs = (
        f.calls()
        .filter(sq.breach)
        .annotate(std_secs=sq.secs, std_target=sq.target)
        .order_by("-received_at", "-id")
        .values("id", "received_at", "area_type", "tier", "program__name", "team__name", "std_secs", "std_target")
    )
    # Every breach is a measured call that did not meet the standard: the counts above already hold how many
    # (a COUNT over the year's calls was 0.3 s at 1,000,000 calls).
    total = counts[f"{chosen.key}__measured"] - counts[f"{chosen.key}__met"]
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
