"""Team facts kept warm in each process, so a routing run over 1,000 teams reads only what moves.

What a team *is* (its program, its members' credentials, languages and specialties, an intern
without a supervisor, the plugins' team facts) changes a few times a day; what a team is *doing*
(status, position, version, workload) changes all the time. Building the first from model rows and
JSON columns was most of a routing run over 1,000 teams; here it is built once per process and kept
while a fingerprint of the rows it came from holds.

The fingerprint is shared by every process without any signal or cache server: a statement-level
trigger on team members and programs (dispatch 0017) bumps one row, `dispatch_warm_version`, in the
writer's own transaction, whoever wrote (the admin, a service, a bulk `update()`, raw SQL, TRUNCATE,
another process). The row's `xmin` (the last writer's transaction id) and its counter change with any
such write, and a run reads them with the live rows, in the same snapshot. (It was a set of sums over
a region's member rows and every program: a third of the live read over 1,000 teams.) Teams' own
columns that the cache keeps (name, program) come with the live read and are compared there.

Status, position, version and workload are read fresh in the routing transaction every run, so a
stale cache can never offer a busy team; the conditional claim (`team_state.claim_team`) stays the
last line. Other databases (SQLite in development) have no `xmin`: the facts are rebuilt every run.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from programs.models import Program
from programs.plugins import TeamFacts, team_facts_of
from responders.models import Team, TeamMember, TeamStatus

from . import selectors
from .models import Assignment

# Offers that count towards a team's workload (fairness): answered ones.
_WORKLOAD = ("accepted", "completed")
# The columns that move, read in the routing transaction on every run (the region is the run's own).
_LIVE = (
    "id",
    "name",
    "program_id",
    "status",
    "status_changed_at",
    "latitude",
    "longitude",
    "location_reported_at",
    "version",
)
# Positions in a live row: the columns of `_LIVE`, then the workload, then (PostgreSQL) the fingerprint.
_ID, _NAME, _PROGRAM, _STATUS, _CHANGED, _LAT, _LON, _REPORTED, _VERSION, _WORK, _FINGERPRINT = range(11)


class _Shape(NamedTuple):
    """What a team is, valid while the fingerprint it was built under holds."""

    name: str
    program_id: int
    capabilities: frozenset[str]
    member_count: int
    unsupervised_intern: bool
    extra: dict


@dataclass
class _Region:
    fingerprint: tuple
    programs: dict[int, Program] = field(default_factory=dict)
    # Program id -> (kind, tiers, call types, pairs with law enforcement): the same for every team of it.
    program_facts: dict[int, tuple] = field(default_factory=dict)
    shapes: dict[int, _Shape] = field(default_factory=dict)
    # Team id -> its TeamFacts fields that hold while the shape holds (a run copies it and sets the live ones:
    # a third of the time of building the 20-field dict for each of 1,000 teams on every run).
    kept: dict[int, dict] = field(default_factory=dict)


_cache: dict[tuple, _Region] = {}
_lock = threading.Lock()
# How many times this process (re)built team shapes: tests read it to see that the cache was used.
builds = Counter()


# The row every write to team members or programs bumps (a statement-level trigger, dispatch 0017). Its `xmin` is the
# last writer's transaction id (ids only grow: a new writer, a new value) and `n` moves with each statement within one
# transaction, so together they change with any committed or own write. No row (deleted by hand): NULL, no cache.
_FINGERPRINT_SQL = "(SELECT xmin::text || ' ' || n FROM dispatch_warm_version)"


def _build(region: str, team_rows: list[tuple], programs: dict[int, Program]) -> dict[int, _Shape]:
    """Shapes for these teams (live rows), members read as plain rows in one query."""
    builds[region] += 1
    members: dict[int, list[selectors.MemberFacts]] = {row[0]: [] for row in team_rows}
    rows = TeamMember.objects.filter(team_id__in=list(members), active=True).values_list(
        "team_id", "user_id", "credential", "languages", "specialties", "supervisor_id"
    )
    for team_id, *facts in rows.order_by("id"):
        members[team_id].append(selectors.MemberFacts(*facts))
    missing = {row[2] for row in team_rows} - programs.keys()
    if missing:
        programs.update(Program.objects.in_bulk(missing))
    shapes = {}
    for row in team_rows:
        team = _team(row, programs, region)
        team.routing_members = members[team.pk]
        shapes[team.pk] = _Shape(
            name=team.name,
            program_id=team.program_id,
            capabilities=selectors._capabilities(team.routing_members),
            member_count=len(team.routing_members),
            unsupervised_intern=selectors._unsupervised_intern(team.routing_members),
            extra=selectors._plugin_team_facts(team),
        )
    return shapes


def _team(row: tuple, programs: dict[int, Program], region: str) -> Team:
    changed, reported = row[_CHANGED], row[_REPORTED]
    values = (
        *row[:_STATUS],
        region,
        row[_STATUS],
        _moment(changed),
        row[_LAT],
        row[_LON],
        None if reported is None else _moment(reported),
        row[_VERSION],
    )
    team = Team.from_db(connection.alias, _TEAM_FIELDS, values)
    team.program = programs[team.program_id]
    return team


_TEAM_FIELDS = (*_LIVE[:_STATUS], "region", *_LIVE[_STATUS:])


class LiveTeams(Mapping):
    """Team id -> Team, built only for the teams a run acts on (building 1,000 instances cost ~10 ms)."""

    def __init__(self, rows: dict[int, tuple], programs: dict[int, Program], region: str):
        self._rows, self._programs, self._region, self._built = rows, programs, region, {}

    def __getitem__(self, team_id: int) -> Team:
        team = self._built.get(team_id)
        if team is None:
            team = self._built[team_id] = _team(self._rows[team_id], self._programs, self._region)
        return team

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def live_team_rows(*, region: str, now: datetime) -> list[tuple]:
    """The teams a routing run ranks (on shift, active program), fresh, by id: the columns of `_LIVE`, then
    the team's workload (accepted or completed offers over the 12 hours before `now`), then (PostgreSQL) the
    region's fingerprint as text, the same on every row: one statement, one snapshot, one round trip.
    (By id, not name: the ranking orders teams itself, and sorting 1,000 names by the locale cost a
    millisecond in the database.)

    The two moments come as seconds since the epoch: parsing 2,000 timestamps into datetimes was a
    third of the read, and a routing run only subtracts them (`_team` turns them back for the teams
    it acts on). On PostgreSQL they are `date_part`'s float8 (EXTRACT computes a numeric and the cast
    costs as much again), and the rows come in the binary format (`_binary_cursor`).
    """
    since = now - timedelta(hours=12)
    if connection.vendor != "postgresql":
        rows = (
            Team.objects.filter(region=region, program__active=True)
            .exclude(status=TeamStatus.OFF_SHIFT)
            .order_by("id")
            .values_list(*_LIVE)
        )
        workloads = Counter(
            Assignment.objects.filter(team__region=region, offered_at__gte=since, status__in=_WORKLOAD).values_list(
                "team_id", flat=True
            )
        )
        return [
            (*r[:_CHANGED], r[_CHANGED].timestamp(), *r[_LAT:_REPORTED], r[_REPORTED] and r[_REPORTED].timestamp(),
             r[_VERSION], workloads[r[_ID]])
            for r in rows
        ]  # fmt: skip
    team, program, assignment = Team._meta.db_table, Program._meta.db_table, Assignment._meta.db_table
    with _binary_cursor() as cur:
        cur.execute(
            # The workloads as a materialized CTE, computed once; the fingerprint an uncorrelated subquery, once too.
            f"""WITH w AS MATERIALIZED (SELECT a.team_id, count(*) AS n FROM {assignment} a
                                          JOIN {team} wt ON wt.id = a.team_id
                                         WHERE wt.region = %s AND a.offered_at >= %s AND a.status = ANY(%s)
                                         GROUP BY a.team_id)
                SELECT t.id, t.name, t.program_id, t.status, date_part('epoch', t.status_changed_at),
                       t.latitude, t.longitude, date_part('epoch', t.location_reported_at), t.version,
                       coalesce(w.n, 0), {_FINGERPRINT_SQL}
                  FROM {team} t JOIN {program} p ON p.id = t.program_id
                  LEFT JOIN w ON w.team_id = t.id
                 WHERE t.region = %s AND p.active AND t.status <> %s
                 ORDER BY t.id""",  # noqa: S608 (table names from the models' meta)
            [region, since, list(_WORKLOAD), region, TeamStatus.OFF_SHIFT.value],
        )
        return cur.fetchall()


def _binary_cursor():
    """A cursor of this connection whose results come in PostgreSQL's binary format: 1,000 rows of floats and
    integers load without parsing their text (a millisecond of the live read). Django's cursors bind their
    parameters on the client, which cannot ask for binary results; this one binds them on the server. It is
    wrapped as Django wraps its own, so query logging, `execute_wrapper` and statement-count tests see it."""
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    raw.format = psycopg.pq.Format.BINARY
    return connection._prepare_cursor(raw)


@dataclass
class Snapshot:
    teams: LiveTeams
    programs: dict[int, Program]
    base: list[TeamFacts]


def snapshot(*, region: str, now: datetime) -> Snapshot:
    """Every rankable team's facts for a run at `now`: fresh live columns over the warm shapes."""
    rows = live_team_rows(region=region, now=now)
    # Read with the rows in one snapshot, so what is built from them is exactly as new as it. No team: nothing
    # to rank and nothing to keep.
    fingerprint = rows[0][_FINGERPRINT] if rows and len(rows[0]) > _FINGERPRINT else None
    key = (connection.alias, connection.settings_dict.get("NAME"), region)
    with _lock:
        warm = _cache.get(key) if fingerprint is not None else None
        if warm is None or warm.fingerprint != fingerprint:
            warm = _Region(fingerprint=fingerprint)
        shapes = warm.shapes
        stale = [
            r for r in rows if (s := shapes.get(r[_ID])) is None or s.name != r[_NAME] or s.program_id != r[_PROGRAM]
        ]
        if stale:
            built = _build(region, stale, warm.programs)
            shapes.update(built)
            for team_id in built:
                warm.kept.pop(team_id, None)
        if fingerprint is not None:
            _cache[key] = warm
        local, at = timezone.localtime(now).time(), now.timestamp()
        open_now = {pid: program.is_open_at(local) for pid, program in warm.programs.items()}
        kept, base = warm.kept, []
        for row in rows:
            team_id, _, program_id, status, changed_at, lat, lon, reported_at, _, workload = row[:_FINGERPRINT]
            facts = kept.get(team_id)
            if facts is None:
                facts = kept[team_id] = _kept_facts(warm, team_id)
            facts = facts.copy()
            facts["open_now"] = open_now[program_id]
            facts["status"] = status
            facts["busy_until_seconds"] = selectors.expected_clear_seconds(status, at - changed_at)
            facts["latitude"] = lat
            facts["longitude"] = lon
            facts["location_age_seconds"] = None if reported_at is None else at - reported_at
            facts["workload"] = workload
            base.append(team_facts_of(facts))
    return Snapshot(
        teams=LiveTeams({r[_ID]: r for r in rows}, warm.programs, region), programs=warm.programs, base=base
    )


def _kept_facts(warm: _Region, team_id: int) -> dict:
    """A team's TeamFacts fields that change only with its shape or its program (both under the fingerprint);
    the live ones (`snapshot` sets them on a copy on every run) are left as None here."""
    shape = warm.shapes[team_id]
    program_id = shape.program_id
    same = warm.program_facts.get(program_id)
    if same is None:
        program = warm.programs[program_id]
        same = warm.program_facts[program_id] = (
            program.kind,
            frozenset(program.tiers or []),
            frozenset(program.call_types or []),
            program.pairs_with_law_enforcement,
        )
    kind, tiers, call_types, pairs = same
    return {
        "team_id": team_id,
        "name": shape.name,
        "program_id": program_id,
        "program_kind": kind,
        "tiers": tiers,
        "call_types": call_types,
        "open_now": None,
        "covers_call": True,
        "status": None,
        "busy_until_seconds": None,
        "latitude": None,
        "longitude": None,
        "location_age_seconds": None,
        "capabilities": shape.capabilities,
        "member_count": shape.member_count,
        "unsupervised_intern": shape.unsupervised_intern,
        "pairs_with_law_enforcement": pairs,
        "workload": 0,
        "excluded_reason": None,
        "extra": shape.extra,
    }


def clear() -> None:
    """Forget every warm shape in this process (tests that rewrite history under the same fingerprint)."""
    with _lock:
        _cache.clear()
