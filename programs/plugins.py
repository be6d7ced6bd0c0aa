"""The one interface through which a program app plugs into the platform.

A program app (mobile crisis, FACT, outreach, ...) subclasses `ProgramPlugin`
and registers an instance in its `AppConfig.ready()`. Shared code asks the
registered plugins and never names a program app or branches on its kind:

- what it serves: `kinds` (the `Program.kind` values it owns, with labels);
- routing: `call_facts` (loaded once per call), `team_facts` (once per team
  and routing run) and `assess` (pure, per call × team pair);
- the call's life: `call_closed`, after a call closes (e.g. schedule a
  follow-up), inside the closing transaction;
- case management: its own models, services and admin in its own app, and
  `urls()` mounted under `/programs/<app label>/` by `programs/urls.py`;
- reports: `report_columns()` (see reports/).

Adding a program needs no edit outside its own app: tests/support/tenth_program
is a program that exists only in the tests and proves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    location_type: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # from plugins' call_facts


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
    workload: int
    excluded_reason: str | None = None  # e.g. this team already declined this call
    extra: dict[str, Any] = field(default_factory=dict)  # from plugins' team_facts


class ProgramPlugin:
    """Defaults do nothing, so a plugin overrides only what its program needs."""

    # The app's label: its URLs are mounted under /programs/<app_label>/.
    app_label: str = ""
    # (Program.kind value, label) pairs this program app owns.
    kinds: tuple[tuple[str, str], ...] = ()

    def call_facts(self, call) -> dict[str, Any]:
        return {}

    def team_facts(self, team) -> dict[str, Any]:
        return {}

    def assess(self, call: CallFacts, team: TeamFacts) -> Assessment | None:
        return None

    def call_closed(self, call, *, by) -> None:
        return None

    def urls(self) -> list:
        return []


_registry: list[ProgramPlugin] = []


def register(plugin: ProgramPlugin) -> None:
    if plugin not in _registry:
        _registry.append(plugin)


def unregister(plugin: ProgramPlugin) -> None:
    if plugin in _registry:
        _registry.remove(plugin)


def registered() -> tuple[ProgramPlugin, ...]:
    return tuple(_registry)


def registered_kinds() -> list[tuple[str, str]]:
    return [kind for plugin in _registry for kind in plugin.kinds]
