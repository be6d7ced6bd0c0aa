"""The one small interface through which a program app adds routing rules.

Routing collects facts about a call and each candidate team, then asks every
registered plugin to assess each (call, team) pair. A plugin may make a team
ineligible, put it first (continuity of care) or give it a time bonus. It
never sees the database during ranking: `call_facts` loads what it needs once
per call, so ranking stays a pure function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django.db.models import QuerySet


@dataclass(frozen=True)
class Assessment:
    ineligible: str | None = None
    first: bool = False
    bonus_seconds: float = 0.0
    note: str = ""


@dataclass(frozen=True)
class CallFacts:
    call_id: int
    tier: str
    call_type: str
    priority: int
    latitude: float | None
    longitude: float | None
    needs: frozenset[str] = frozenset()
    person_id: int | None = None
    person_homeless: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TeamFacts:
    team_id: int
    name: str
    program_id: int
    program_kind: str
    tiers: frozenset[str]
    call_types: frozenset[str]
    open_now: bool
    covers_call: bool
    status: str
    busy_until_seconds: float | None  # None = free now; seconds until expected clear otherwise
    latitude: float | None
    longitude: float | None
    location_age_seconds: float | None
    capabilities: frozenset[str]
    member_count: int
    unsupervised_intern: bool
    pairs_with_law_enforcement: bool
    has_housing_partners: bool
    workload: int
    excluded_reason: str | None = None  # e.g. this team already declined this call


class ProgramPlugin(Protocol):
    # Subclass to inherit these no-op defaults: a program without routing rules still passes through routing.
    def call_facts(self, call) -> dict[str, Any]:
        return {}

    def assess(self, call: CallFacts, team: TeamFacts) -> Assessment | None:
        return None


_registry: list[ProgramPlugin] = []


def register(plugin: ProgramPlugin) -> None:
    if plugin not in _registry:
        _registry.append(plugin)


def registered() -> tuple[ProgramPlugin, ...]:
    return tuple(_registry)


def unregister(plugin: ProgramPlugin) -> None:
    if plugin in _registry:
        _registry.remove(plugin)


# ---------------------------------------------------------------------------
# Reports: numbers a program adds to the shared reports, which never name a program app.
# Both hooks are optional methods on a plugin (found with getattr, so a plugin may leave them out):
#   report_columns() -> Sequence[ReportColumn]
#   standard_ends() -> Sequence[StandardEnd]


class TeamCounts(Protocol):
    """{team_id: number} for the teams that have one (a team left out counts 0).

    start_at and end_at are the report's range as aware datetimes, end_at exclusive; end_date is the
    range's last day (inclusive), for records kept by date.
    """

    def __call__(
        self, *, team_ids: Sequence[int], start_at: datetime, end_at: datetime, end_date: date
    ) -> Mapping[int, float]: ...


@dataclass(frozen=True)
class ReportColumn:
    """A per-team column a program adds to a report's table.

    report="caseload": a count of the team's clients (the caseload table adds a program's columns up into
    clients per staff member against the program's ratio). The table's note joins the columns' notes.
    """

    report: str
    key: str
    label: str
    compute: TeamCounts
    kind: str = "int"  # a report table column kind: "int", "number", ...
    note: str = ""


@dataclass(frozen=True)
class StandardEnd:
    """Program records that stop a response standard's clock, for a standard whose `end` is not a call column.

    The clock of a call stops at the earliest `at_field` of the call's records among `records()` (give only the
    ones that count, e.g. completed follow-ups).
    """

    end: str  # the Standard.end it supplies, e.g. "follow_up_completed_at"
    records: Callable[[], QuerySet]
    call_field: str = "call"  # the record's foreign key to the call
    at_field: str = "at"


def report_columns(report: str) -> list[ReportColumn]:
    """Every registered plugin's columns for `report`, in registration (INSTALLED_APPS) order."""
    out = []
    for plugin in _registry:
        hook = getattr(plugin, "report_columns", None)
        out += [c for c in (hook() if hook else ()) if c.report == report]
    return out


def standard_end(end: str) -> StandardEnd | None:
    """The records that supply a standard's `end`, from the first plugin that has them."""
    for plugin in _registry:
        hook = getattr(plugin, "standard_ends", None)
        for source in hook() if hook else ():
            if source.end == end:
                return source
    return None
