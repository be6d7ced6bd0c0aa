"""Response standards: what is measured, from which timestamp to which, and the target.

One table, read by the reports (in SQL, see reports/standards.py) and by the
boards' live clocks (`clocks_for`, a pure function). The defaults are the
published standards; a deployment overrides targets and goals with the
CRISIS_STANDARDS setting, e.g. {"arrival": {"target_seconds": {"urban": 45*60, "rural": 90*60}}}.

Timestamps are the call's own denormalised ones (received_at, triaged_at,
assigned_at, arrived_at, closed_at), written by dispatch.services on each
transition; the follow-up end is the earliest completed
programs.mobile_crisis.FollowUp of the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q

from .models import FIELD_TIERS

OK = "ok"
NEAR = "near"
BREACHED = "breached"
MET = "met"


@dataclass(frozen=True)
class Standard:
    key: str
    label: str
    citation: str
    start: str  # Call attribute the clock starts at
    end: str  # Call attribute that stops it ("follow_up_completed_at" is annotated, not a column)
    # Seconds allowed; a mapping means "by the call's area_type" (with "default").
    target_seconds: float | Mapping[str, float]
    goal: float = 0.9  # share of calls that must meet the target
    tiers: frozenset[str] | None = None  # None: every call
    # A call whose clock ran out without an end timestamp counts as a breach
    # (follow-up: no contact at all is the failure the standard measures).
    overdue_is_breach: bool = False
    near_fraction: float = 0.75  # live clocks turn "near" at this share of the target
    explanation: str = ""
    short: str = ""  # for chart axes and legends

    def target_for(self, area_type: str | None) -> float:
        if isinstance(self.target_seconds, Mapping):
            return float(self.target_seconds.get(area_type or "", self.target_seconds["default"]))
        return float(self.target_seconds)

    def applies_to(self, call: Any) -> bool:
        return self.tiers is None or getattr(call, "tier", "") in self.tiers


DEFAULT_STANDARDS: tuple[Standard, ...] = (
    Standard(
        key="answer",
        short="Answer ≤ 15 s",
        label="Answered within 15 s",
        citation="NENA call-answering standard: 90% of calls answered within 15 seconds",
        start="rang_at",
        end="answered_at",
        target_seconds=15,
        explanation=(
            "Ring → pick-up, as the phone system reports them (POST /api/telephony/answered); a call with no ring "
            "time (no phone system told us) is not measured."
        ),
    ),
    Standard(
        key="dispatch",
        short="Dispatch ≤ 60 s",
        label="Dispatched within 60 s of answer",
        citation="NFPA 1225: answer to dispatch within 60 seconds for 90% of calls",
        start="triaged_at",
        end="assigned_at",
        target_seconds=60,
        tiers=FIELD_TIERS,
        explanation="Field calls (community, co-response); triaged → team assigned.",
    ),
    Standard(
        key="arrival",
        short="On scene ≤ 60/120 min",
        label="Team on scene within 60 min (urban) / 120 min (rural)",
        citation="Mobile crisis arrival: 60 minutes urban, 120 minutes rural",
        start="received_at",
        end="arrived_at",
        target_seconds={"urban": 3600, "rural": 7200, "default": 3600},
        tiers=FIELD_TIERS,
        explanation="Field calls; received → on scene, target by the call's area type.",
    ),
    Standard(
        key="follow_up",
        short="Follow-up ≤ 72 h",
        label="Follow-up contact within 72 h",
        citation="Follow-up contact within 72 hours of a field response",
        start="arrived_at",
        end="follow_up_completed_at",
        target_seconds=72 * 3600,
        overdue_is_breach=True,
        explanation=(
            "Calls with a team on scene; on scene → first completed follow-up. No follow-up after 72 h is a breach."
        ),
    ),
)


def configured_standards(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[Standard, ...]:
    """The defaults with the CRISIS_STANDARDS setting (or `overrides`) applied."""
    if overrides is None:
        overrides = getattr(settings, "CRISIS_STANDARDS", {}) or {}
    known = {s.key for s in DEFAULT_STANDARDS}
    unknown = set(overrides) - known
    if unknown:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"CRISIS_STANDARDS names unknown standards: {sorted(unknown)}")
    allowed = {"target_seconds", "goal", "near_fraction", "label", "short"}
    out = []
    for std in DEFAULT_STANDARDS:
        change = dict(overrides.get(std.key, {}))
        bad = set(change) - allowed
        if bad:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                f"CRISIS_STANDARDS[{std.key!r}] may set only {sorted(allowed)}, not {sorted(bad)}"
            )
        out.append(replace(std, **change) if change else std)
    return tuple(out)


@dataclass(frozen=True)
class Clock:
    key: str
    label: str
    started_at: datetime
    target_at: datetime
    target_seconds: float
    elapsed_seconds: float
    state: str  # ok / near / breached while running; met / breached once stopped
    stopped: bool
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "started_at": self.started_at.isoformat(),
            "target_at": self.target_at.isoformat(),
            "target_seconds": self.target_seconds,
            "elapsed_seconds": round(self.elapsed_seconds, 1),
            "state": self.state,
            "stopped": self.stopped,
        }


def clocks_for(call: Any, now: datetime, standards: tuple[Standard, ...] | None = None) -> list[Clock]:
    """Each applicable standard's clock for one call, at `now`. Pure: no database.

    A standard whose start timestamp is not set yet has no clock. A stopped
    clock (end timestamp set) is "met" or "breached"; a running one is "ok",
    "near" (past `near_fraction` of the target) or "breached". For the
    follow-up standard pass the call with a `follow_up_completed_at` attribute.
    A closed call that never reached a standard's end step has no clock for it
    (the reports leave such calls out of that standard), except where an
    overdue clock is itself the breach (follow-up).
    """
    standards = configured_standards() if standards is None else standards
    clocks = []
    for std in standards:
        if not std.applies_to(call):
            continue
        start = getattr(call, std.start, None)
        if start is None:
            continue
        end = getattr(call, std.end, None)
        if end is None and getattr(call, "closed_at", None) is not None and not std.overdue_is_breach:
            continue  # the call ended without reaching this step: nothing to measure (as in the reports)
        target = std.target_for(getattr(call, "area_type", None))
        elapsed = ((end or now) - start).total_seconds()
        if end is not None:
            state = MET if elapsed <= target else BREACHED
        elif elapsed > target:
            state = BREACHED
        elif elapsed >= std.near_fraction * target:
            state = NEAR
        else:
            state = OK
        clocks.append(
            Clock(
                key=std.key,
                label=std.label,
                started_at=start,
                target_at=start + timedelta(seconds=target),
                target_seconds=target,
                elapsed_seconds=elapsed,
                state=state,
                stopped=end is not None,
            )
        )
    return clocks


def column_conditions(std: Standard) -> tuple[Q, Q, Q]:
    """(applicable, measured, met) for a standard both of whose ends are Call columns, as SQL conditions.

    The one definition of "met" that the report (reports/standards.py) and the board's figure
    (`standard_figure`) both count with, so the two can never disagree about the same calls.
    """
    applicable = Q(**{f"{std.start}__isnull": False})
    if std.tiers is not None:
        applicable &= Q(tier__in=std.tiers)
    measured = applicable & Q(**{f"{std.end}__isnull": False})
    if isinstance(std.target_seconds, Mapping):
        areas = {k: v for k, v in std.target_seconds.items() if k != "default"}
        within = Q(area_type__in=[]) if areas else Q()
        for area, secs in areas.items():
            within |= Q(area_type=area, **{f"{std.end}__lte": F(std.start) + timedelta(seconds=secs)})
        default = timedelta(seconds=std.target_seconds["default"])
        within |= ~Q(area_type__in=list(areas)) & Q(**{f"{std.end}__lte": F(std.start) + default})
    else:
        within = Q(**{f"{std.end}__lte": F(std.start) + timedelta(seconds=std.target_seconds)})
    return applicable, measured, measured & within


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    measured: int
    met: int

    @property
    def share(self) -> float | None:
        return self.met / self.measured if self.measured else None


def standard_figure(key: str, calls: Any) -> Figure:
    """How many of `calls` (a Call queryset) were measured against the standard `key`, and how many met it."""
    std = {s.key: s for s in configured_standards()}[key]
    _, measured, met = column_conditions(std)
    counts = calls.aggregate(measured=Count("id", filter=measured), met=Count("id", filter=met))
    return Figure(key=std.key, label=std.short or std.label, measured=counts["measured"], met=counts["met"])
