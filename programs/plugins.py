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
- reports: `report_columns()` (see reports/), and `outcome_reports()`: what a program's own records say
  it changed (an officer consult's outcome, a diverted call's result), counted per period;
- the person's story: `person_timeline(person)`, the program's records about a person (follow-ups,
  referrals, enrolments, contacts) for the person page, which adds the calls and sorts newest first.
- the call in the field: `call_brief(call, user)`, the essentials a responder on the call may see (the phone).
- a person merged into another: `person_merge(keep=, merge=)` moves the program's own rows;
- live screens of its own: `websocket_urls()`, routed by crisis/asgi.py.
- the call cleared on the phone: `clear_questions(team)` (what the team's clear form asks, e.g. a wellness
  check's outcome and a referral) and `clear_record(call, by=, disposition=, answers=)` (writes the answers
  inside the clear).
- following a call it asked for (through the call desk): `call_changed(call)` after each event on a call's
  timeline and `team_moved(team)` after a team reports its position, both inside the writer's transaction.

Adding a program needs no edit outside its own app: tests/support/tenth_program
is a program that exists only in the tests and proves it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
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
    # The team answers this call although its program is closed now: someone carries its phone after hours
    # (FACT's on-call member). Waives only the program's hours; every other gap still counts.
    after_hours: bool = False


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


# A routing run builds one TeamFacts per team (1,000 in a large region) and copies those a call changes: a frozen
# dataclass's __init__ and dataclasses.replace set each of the 20 fields through object.__setattr__ (3 to 9 µs a
# team, a tenth of the whole run). These two take the instance's __dict__ whole (a third of the time) and keep
# it frozen for every reader.
_TEAM_FACT_FIELDS = frozenset(f.name for f in fields(TeamFacts))


def team_facts_of(values: dict[str, Any]) -> TeamFacts:
    """`TeamFacts(**values)` for a dict that names every field (no default is filled in; the dict is kept)."""
    if len(values) != len(_TEAM_FACT_FIELDS):  # a misspelt name fails the warm-facts test (tests/dispatch)
        raise TypeError(f"TeamFacts fields missing or unknown: {sorted(values.keys() ^ _TEAM_FACT_FIELDS)}")
    facts = object.__new__(TeamFacts)
    object.__setattr__(facts, "__dict__", values)
    return facts


def team_facts_with(facts: TeamFacts, **changes: Any) -> TeamFacts:
    """`dataclasses.replace(facts, **changes)`."""
    unknown = changes.keys() - _TEAM_FACT_FIELDS
    if unknown:
        raise TypeError(f"TeamFacts has no field {', '.join(sorted(unknown))}")
    return team_facts_of(facts.__dict__ | changes)


class ProgramPlugin:
    """Defaults do nothing, so a plugin overrides only what its program needs."""

    # The app's label: its URLs are mounted under /programs/<app_label>/.
    app_label: str = ""
    # (Program.kind value, label) pairs this program app owns.
    kinds: tuple[tuple[str, str], ...] = ()

    def call_facts(self, call) -> dict[str, Any]:
        return {}

    def team_facts(self, team) -> dict[str, Any]:
        # Kept warm per process (dispatch/warm.py) until the team's members or any program change:
        # read only the team, its program and its members here, nothing that moves on its own.
        return {}

    def assess(self, call: CallFacts, team: TeamFacts) -> Assessment | None:
        return None

    def call_closed(self, call, *, by) -> None:
        return None

    def urls(self) -> list:
        return []

    def nav_links(self, user) -> list[tuple[str, str]]:
        """(label, url) pairs for the top bar, for the pages of its own this user may open."""
        return []

    def report_columns(self) -> Sequence[ReportColumn]:
        return ()

    def standard_ends(self) -> Sequence[StandardEnd]:
        return ()

    def outcome_reports(self) -> Sequence[OutcomeReport]:
        return ()

    def person_timeline(self, person) -> Sequence[TimelineItem]:
        return ()

    def call_cohorts(self) -> Sequence[CallCohort]:
        """Calls this program handled, as a group the reports break calls down by (911 diversion: the calls
        diverted from police dispatch)."""
        return ()

    def person_actions(self, person, user) -> list[tuple[str, str]]:
        """(label, url) pairs the person page offers `user` for this program, e.g. "Enrol with FACT"."""
        return []

    def call_actions(self, call, user) -> list[tuple[str, str]]:
        """(label, url) pairs the call page offers `user` for this program, e.g. "Start video consult"."""
        return []

    def call_brief(self, call, user) -> Sequence[BriefSection]:
        """What this program's records say a responder on `call` needs now (e.g. FACT's care-plan essentials).

        Only what `user` may see; the plug-in audits what it shows. Shown on the phone under the call."""
        return ()

    def person_merge(self, *, keep, merge) -> Mapping[str, Sequence[int]]:
        """Point this program's own rows about the duplicate `merge` at `keep`: {"app.model": [ids moved]}.

        Runs inside the supervisor's merge (crisis.people.person_merge), which refuses and rolls back if any
        row still points at `merge` afterwards; `crisis.people.move_references` does one table."""
        return {}

    def websocket_urls(self) -> list:
        """Websocket routes of the program's own live screens (paths start with "ws/programs/<app_label>/")."""
        return []

    def call_changed(self, call) -> None:
        """A call's timeline moved (offered, assigned, en route, on scene, closed ...), inside that transaction.

        For a program that follows calls it opened through the call desk (e.g. an officer's consult showing the
        team that is coming): republish what it shows. Called for every call event: filter cheaply."""
        return None

    def team_moved(self, team) -> None:
        """A team reported its position, inside that transaction (the ETA of a call it is driving to moved)."""
        return None

    def caseload_items(self, user, *, until: datetime) -> Sequence[CareItem]:
        """The program's open hand-offs `user` works (a supervisor: every one), due before `until` (overdue too)."""
        return ()

    def stalled_items(self, *, now: datetime) -> Sequence[CareItem]:
        """Every open hand-off of the program past its due time at `now`, for the escalation run."""
        return ()

    def clear_questions(self, team) -> ClearQuestions | None:
        """What the phone's clear form asks `team` for this program (None: nothing). Rendered once per page, so
        the form works from the phone's own copy while offline and the answers travel with the queued clear."""
        return None

    def clear_record(self, call, *, by, disposition: str, answers: Mapping[str, str]) -> set[str]:
        """Write this program's answers from the clear form, inside the clear's transaction (before the call
        closes with `disposition`, which the answers must not contradict). Raise a DomainError on bad input: the
        whole clear rolls back. Returns the answer keys it took."""
        return set()

    def offer_recipients(self, call, team) -> frozenset[int] | None:
        """Whose phones an offer of `call` to `team` wakes (Web Push): user ids, or None for every active member.

        E.g. FACT after hours: only the team's on-call member, not the whole team asleep at home."""
        return None


_registry: list[ProgramPlugin] = []


def register(plugin: ProgramPlugin) -> None:
    if plugin not in _registry:
        _registry.append(plugin)


def unregister(plugin: ProgramPlugin) -> None:
    if plugin in _registry:
        _registry.remove(plugin)


def registered() -> tuple[ProgramPlugin, ...]:
    return tuple(_registry)


def overriding(hook: str) -> tuple[ProgramPlugin, ...]:
    """The registered plugins that implement `hook` themselves: hot loops skip the no-op defaults."""
    default = getattr(ProgramPlugin, hook)
    return tuple(p for p in _registry if getattr(type(p), hook, default) is not default)


def registered_kinds() -> list[tuple[str, str]]:
    return [kind for plugin in _registry for kind in plugin.kinds]


def websocket_urlpatterns() -> list:
    """Every registered program's websocket routes, for the ASGI router (crisis/asgi.py)."""
    return [route for plugin in _registry for route in plugin.websocket_urls()]


# ---------------------------------------------------------------------------
# Reports: numbers a program adds to the shared reports, which never name a program app.
# Both hooks are ProgramPlugin methods with empty defaults:
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


class OutcomeCounts(Protocol):
    """(first day of the period, outcome value, count) for the program's records that ended in the range.

    `period` is "day", "week" or "month" (the first day of the period in the report's time zone, `tz`);
    `program_id`, when given, keeps only that program's records (a program whose records have none returns
    nothing for another program). start_at and end_at are aware datetimes, end_at exclusive.
    """

    def __call__(
        self, *, start_at: datetime, end_at: datetime, period: str, tz, program_id: int | None
    ) -> Iterable[tuple[date, str, int]]: ...


def count_per_period(records: QuerySet, *, at: str, by: str, period: str, tz) -> list[tuple[date, str, int]]:
    """The shape every `OutcomeCounts` returns, for records a plug-in has already filtered to the range and program:
    (first day of the period of `at`, the value of `by`, count), one GROUP BY."""
    from django.db.models import Count
    from django.db.models.functions import Trunc

    rows = records.annotate(period=Trunc(at, period, tzinfo=tz)).values("period", by).annotate(n=Count("id")).order_by()
    return [(r["period"].date(), r[by], r["n"]) for r in rows]


@dataclass(frozen=True)
class OutcomeReport:
    """A table on the program outcomes report: one row per period, one column per outcome."""

    key: str  # the table's key (CSV name), e.g. "consults"
    title: str
    outcomes: tuple[tuple[str, str], ...]  # (value, label), in column order
    count: OutcomeCounts
    note: str = ""
    # An outcome whose share of the period's records gets its own column, e.g. ("stabilized", "Avoided admission"):
    # the figure a program exists for, as a rate.
    rate: tuple[str, str] | None = None


@dataclass(frozen=True)
class CallCohort:
    """A group of calls a program handled, for the reports: `members(call_ids)` says which of these calls
    belong to it (one query), so the reports never read a program's own records."""

    key: str
    label: str
    members: Callable[[Iterable[int]], set[int]]


def call_cohorts() -> list[CallCohort]:
    return [c for plugin in overriding("call_cohorts") for c in plugin.call_cohorts()]


def outcome_reports() -> list[OutcomeReport]:
    """Every registered plugin's outcome tables, in registration (INSTALLED_APPS) order."""
    return [r for plugin in overriding("outcome_reports") for r in plugin.outcome_reports()]


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


# ---------------------------------------------------------------------------
# The person's story: each program's records about one person, for the person page.


@dataclass(frozen=True)
class TimelineItem:
    """One entry on a person's timeline. `at` orders it (newest first): for an open item, when it is due."""

    at: datetime
    kind: str  # e.g. "call", "follow-up", "referral", "enrolment", "outreach contact"
    title: str
    status: str = ""
    url: str = ""
    open: bool = False  # someone still has to act on it
    overdue: bool = False


def person_timeline(person) -> list[TimelineItem]:
    """Every registered plugin's items about `person`, unsorted (the page merges them with the calls)."""
    out: list[TimelineItem] = []
    for plugin in _registry:
        hook = getattr(plugin, "person_timeline", None)
        out += list(hook(person) if hook else ())
    return out


# ---------------------------------------------------------------------------
# The call desk: what a program may ask of live operations, which sits above it.
# A program that takes calls itself (the 911 diversion console) needs to open a call, screen it and route it
# or resolve it by phone, but may not import dispatch; dispatch provides this port when it starts
# (dispatch/apps.py) and programs ask `call_desk()`. Every method is one of dispatch's own services.


class CallDesk(Protocol):
    def screen_fields(self) -> list[tuple[str, str]]:
        """The risk screen's questions, (name, label), in order."""
        ...

    def screen_tier(self, screen: Mapping[str, bool]) -> str:
        """The tier the screen gives ("phone", "community", "co_response", "le_ems"), without recording it."""
        ...

    def field_tiers(self) -> frozenset[str]: ...

    def call_types(self) -> list[tuple[str, str]]: ...

    def call_create(self, *, by, **fields: Any) -> Any: ...

    def call_screen(self, *, call, by, screen: Mapping[str, bool]) -> str:
        """Record the screen on the call (a field tier goes to routing); returns the tier."""
        ...

    def call_resolve_by_phone(self, *, call, by, note: str = "") -> Any: ...

    def call_timeline_add(self, *, call_id: int, kind: str, by, text: str, **detail: Any) -> None:
        """Write a program's event about the call on the call's timeline (dispatch's one writer of it), inside
        the caller's transaction. `kind` is "call.<program's word>"; `text` is what the call page shows."""
        ...

    def call_progress(self, call_id: int) -> CallProgress | None:
        """Who is coming to a call and when: the call's status, its team and the ETA (None: no such call)."""
        ...


@dataclass(frozen=True)
class CallProgress:
    """A call as the person who asked for it follows it: where it stands, which team is coming, and when.

    `eta_at` is when the team should arrive: from the team's last position when it is fresh
    (`eta_source="position"`), else from the routing estimate made when the team was offered the call
    ("routing"); None once the team is there, or while no team has the call.
    """

    call_id: int
    status: str
    status_label: str
    open: bool
    team_id: int | None = None
    team_name: str = ""
    team_accepted: bool = False  # False while the team is only offered the call
    eta_at: datetime | None = None
    eta_source: str = ""
    team_latitude: float | None = None
    team_longitude: float | None = None
    located_at: datetime | None = None
    arrived_at: datetime | None = None


_call_desk: CallDesk | None = None


def provide_call_desk(desk: CallDesk | None) -> None:
    global _call_desk
    _call_desk = desk


def call_desk() -> CallDesk:
    if _call_desk is None:  # dispatch is always installed; this is a wiring mistake, said loudly
        raise RuntimeError("No call desk: dispatch provides it in DispatchConfig.ready().")
    return _call_desk


# The call in the field: each program's essentials for the responder on a call.


@dataclass(frozen=True)
class BriefSection:
    """A short block on the phone under the call: a title, a few lines, an optional call-back number."""

    title: str
    lines: tuple[str, ...] = ()
    note: str = ""
    phone: str = ""
    phone_label: str = ""


def call_brief(call, user) -> list[BriefSection]:
    """Every plug-in's brief for `call` as `user` may see it (each plug-in audits its own read)."""
    return [section for plugin in overriding("call_brief") for section in plugin.call_brief(call, user)]


def person_merge(*, keep, merge) -> dict[str, list[int]]:
    """Every plug-in moves its rows about `merge` to `keep` (registered with crisis.people by ProgramsConfig)."""
    moved: dict[str, list[int]] = {}
    for plugin in overriding("person_merge"):
        for label, ids in plugin.person_merge(keep=keep, merge=merge).items():
            moved[label] = sorted(set(moved.get(label, [])) | set(ids))
    return moved


def call_changed(call) -> None:
    """Tell the plug-ins that follow calls that `call` moved (dispatch/timeline.py, after each event)."""
    for plugin in overriding("call_changed"):
        plugin.call_changed(call)


def team_moved(team) -> None:
    """Tell the plug-ins that follow calls that `team` reported a position (dispatch/team_state.py)."""
    for plugin in overriding("team_moved"):
        plugin.team_moved(team)


def offer_recipients(call, team) -> frozenset[int] | None:
    """The users an offer's push wakes, from the first plug-in that narrows it (dispatch/push.py); None: all."""
    for plugin in overriding("offer_recipients"):
        only = plugin.offer_recipients(call, team)
        if only is not None:
            return only
    return None


def person_actions(person, user) -> list[tuple[str, str]]:
    """Every plug-in's actions on the person page for `user` (what they may start for this person)."""
    return [action for plugin in overriding("person_actions") for action in plugin.person_actions(person, user)]


def call_actions(call, user) -> list[tuple[str, str]]:
    """Every plug-in's (label, url) actions on the call page for `user`."""
    return [action for plugin in overriding("call_actions") for action in plugin.call_actions(call, user)]


# ---------------------------------------------------------------------------
# Care after the call: every hand-off from one service to another (a follow-up, a referral, a stabilization
# contact, a FACT contact) has an owner and a due time. Programs report their own through two hooks,
# `caseload_items(user, until=)` ("my caseload today") and `stalled_items(now=)` (the escalation run in
# programs/escalations.py), so the caseload page and the escalations never import a program's models.


@dataclass(frozen=True)
class CareItem:
    """One open hand-off as the caseload and the escalations show it.

    `key` names this stall of this record: "<app>.<model>:<pk>:<what>:<due time>", so an escalation is raised
    once per key and level, and a record that stalls again (a new due time) is a new key."""

    key: str
    kind: str  # e.g. "follow-up", "referral", "stabilization contact", "FACT contact"
    program: str  # the program's label, for the supervisor's per-program view
    title: str
    due_at: datetime
    url: str = ""
    person_id: int | None = None
    person_name: str = ""
    owner_id: int | None = None  # None: the team owns it
    owner_name: str = ""
    team_id: int | None = None
    team_name: str = ""


def caseload_items(user, *, until: datetime) -> list[CareItem]:
    """Every plug-in's open items for `user` due before `until`, newest due first."""
    items = [i for plugin in overriding("caseload_items") for i in plugin.caseload_items(user, until=until)]
    return sorted(items, key=lambda i: (i.due_at, i.key), reverse=True)


def stalled_items(*, now: datetime) -> list[CareItem]:
    """Every plug-in's overdue hand-offs at `now` (the escalation run's input)."""
    return [i for plugin in overriding("stalled_items") for i in plugin.stalled_items(now=now)]


# ---------------------------------------------------------------------------
# The clear form on the phone: a program asks its own questions when its team clears a call (community
# responders: the wellness check's outcome and a referral), and writes the answers inside the clear.


@dataclass(frozen=True)
class ClearQuestions:
    """What a program's team is asked at clear. `outcomes` maps a call type to its (value, label) choices ("" is
    every other call type); `partners` are the (id, label) a referral may go to (empty: no referral offered)."""

    outcome_label: str = "Outcome"
    outcomes: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    partners: Sequence[tuple[int, str]] = ()
    referral_label: str = "Referral"
    # Outcomes that say a referral was made: the phone asks for the partner before queueing (the plug-in refuses too).
    referral_required_for: Sequence[str] = ()
    # Outcomes that say nobody was referred: the phone asks to take the referral out before queueing (refused too).
    referral_refused_for: Sequence[str] = ()


def clear_questions(team) -> list[ClearQuestions]:
    return [q for plugin in overriding("clear_questions") if (q := plugin.clear_questions(team)) is not None]


def clear_record(call, *, by, disposition: str, answers: Mapping[str, str]) -> set[str]:
    """Every plug-in writes its answers; the keys none of them took (the caller refuses those)."""
    taken: set[str] = set()
    for plugin in overriding("clear_record"):
        taken |= plugin.clear_record(call, by=by, disposition=disposition, answers=answers)
    return set(answers) - taken
