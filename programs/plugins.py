"""The one small interface through which a program app adds routing rules.

Routing collects facts about a call and each candidate team, then asks every
registered plugin to assess each (call, team) pair. A plugin may make a team
ineligible, put it first (continuity of care) or give it a time bonus. It
never sees the database during ranking: `call_facts` loads what it needs once
per call, so ranking stays a pure function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


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
    def call_facts(self, call) -> dict[str, Any]: ...

    def assess(self, call: CallFacts, team: TeamFacts) -> Assessment | None: ...


_registry: list[ProgramPlugin] = []


def register(plugin: ProgramPlugin) -> None:
    if plugin not in _registry:
        _registry.append(plugin)


def registered() -> tuple[ProgramPlugin, ...]:
    return tuple(_registry)
