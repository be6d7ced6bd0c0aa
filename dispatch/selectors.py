"""Reads: the queue, a call's page, premise history and the facts routing ranks."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, Value, prefetch_related_objects
from django.db.models.functions import Coalesce, Replace
from django.utils import timezone

from crisis import languages
from crisis.geo.geocoder import LocalGeocoder
from crisis.models import User
from programs import plugins as program_plugins
from programs.plugins import CallFacts, TeamFacts, team_facts_with
from responders.models import MEDICAL_CREDENTIALS, Credential, Team, TeamMember, TeamStatus

from .models import (
    ACTIVE_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    Call,
    CallType,
    Handoff,
    Status,
    Triage,
    address_key,
)
from .reoffer import Refusal
from .routing import NEED_LABELS, GreatCircleEta, RoutingConfig, eligibility_gaps, great_circle_km, need_label


def queue(*, region: str | None = None):
    active = Assignment.objects.filter(status__in=ACTIVE_ASSIGNMENT).select_related("team")
    qs = (
        Call.objects.open()
        .select_related("team", "person", "recommended_team")
        .prefetch_related(Prefetch("assignments", queryset=active, to_attr="active_assignments"))
        .queue_order()
    )
    if region:
        qs = qs.filter(region=region)
    return qs


def call_for_page(pk: int) -> Call:
    return (
        Call.objects.select_related("person", "team", "program", "created_by", "recommended_team")
        .prefetch_related(
            Prefetch("events__actor"),
            # The timeline's sentences name the team (dispatch/event_text.py).
            Prefetch("events__team"),
            Prefetch("triages", queryset=Triage.objects.select_related("by")),
            Prefetch("assignments", queryset=Assignment.objects.select_related("team", "by")),
            Prefetch("handoffs", queryset=Handoff.objects.select_related("recorded_by")),
            "call_units",
        )
        .get(pk=pk)
    )


def latest_triage(call: Call) -> Triage | None:
    triages = list(call.triages.all())
    return triages[0] if triages else None


def premise_history(*, address_key: str, person_id: int | None, exclude_call_id: int | None = None, limit: int = 20):
    """Earlier calls at the same address or about the same person, with their safety flags."""
    match = Q(address_key=address_key) if address_key else Q(pk__in=[])
    if person_id:
        match |= Q(person_id=person_id)
    qs = (
        Call.objects.filter(match)
        .select_related("person")
        .prefetch_related(Prefetch("triages", queryset=Triage.objects.order_by("-at", "-id")))
        .order_by("-received_at")
    )
    if exclude_call_id:
        qs = qs.exclude(pk=exclude_call_id)
    rows = []
    for call in qs[:limit]:
        t = next(iter(call.triages.all()), None)
        flags = []
        if t:
            flags = [label for name, label in SAFETY_FLAGS if getattr(t, name)]
        if call.person and call.person.known_weapons_access and "Weapons" not in flags:
            flags.append("Weapons")
        if call.person and call.person.history_of_violence and "Violence" not in flags:
            flags.append("Violence")
        rows.append({"call": call, "flags": flags})
    return rows


SAFETY_FLAGS = (
    ("weapons", "Weapons"),
    ("violence", "Violence"),
    ("medical", "Medical/overdose"),
    ("si_behavior", "Recent suicide attempt"),
    ("children_present", "Children present"),
)


# --- routing facts -----------------------------------------------------------------
def routing_config() -> RoutingConfig:
    return RoutingConfig(
        stale_after_seconds=settings.LOCATION_STALE_SECONDS,
        hold_for_clearing_team=settings.ROUTING_HOLD_FOR_CLEARING_TEAM,
    )


def eta_estimator() -> GreatCircleEta:
    return GreatCircleEta(road_factor=settings.ROUTING_ROAD_FACTOR, speed_kmh=settings.ROUTING_AVERAGE_SPEED_KMH)


# Expected minutes until a busy team clears, by status (typical field times).
EXPECTED_CLEAR_MINUTES = {
    TeamStatus.ASSIGNED: 70,
    TeamStatus.ON_SCENE: 45,
    TeamStatus.TRANSPORTING: 30,
}


def expected_clear_seconds(status: str, seconds_in_status: float) -> float | None:
    """Seconds until a busy team is expected to clear (None: not busy on a call). One rule for the router, its
    warm snapshot and the simulated day: the typical time for the status less the time already in it, and never
    under five minutes (a team past its typical time is still busy)."""
    if status not in EXPECTED_CLEAR_MINUTES:
        return None
    return max(300.0, EXPECTED_CLEAR_MINUTES[status] * 60 - seconds_in_status)


def call_needs(call: Call, screen: Triage | None) -> tuple[frozenset[str], frozenset[str]]:
    """What a team must have for this call (as the dispatcher stated it), and what it would be good to have."""
    inferred, wants = inferred_needs(call, screen)
    needs = (inferred - frozenset(call.needs_removed or ())) | frozenset(call.needs_added or ())
    return needs, needs | (wants - inferred)


def inferred_needs(call: Call, screen: Triage | None) -> tuple[frozenset[str], frozenset[str]]:
    """What the call's screen, type, person and language imply a team must have, and what would be good to have."""
    needs: set[str] = set()
    wants: set[str] = {"peer_specialist"}
    if screen is not None:
        if any(
            getattr(screen, f)
            for f in ("si_wish_dead", "si_thoughts", "si_method", "si_intent", "si_plan", "si_behavior")
        ):
            needs.add("licensed_clinician")
        if screen.self_harm or screen.psychosis:
            needs.add("licensed_clinician")
        if screen.medical or screen.medical_need:
            needs.add("medical")
        if screen.person_is_minor:
            needs.add("youth")
        if screen.intoxication:
            wants.add("substance_use")
    if call.call_type == CallType.SUICIDAL:
        needs.add("licensed_clinician")
    if call.call_type == CallType.SUBSTANCE_USE:
        wants.add("substance_use")
    if call.person is not None and call.person.is_minor():
        needs.add("youth")
    if call.language and call.language != "en":
        needs.add(f"lang:{call.language}")
    return frozenset(needs), frozenset(needs | wants)


def needs_choices(call: Call) -> list[tuple[str, str]]:
    """The needs a dispatcher may state on `call`: every skill routing knows, and a speaker of the call's language."""
    out = [(code, need_label(code)) for code in NEED_LABELS]
    if call.language and call.language != languages.DEFAULT:
        need = f"lang:{call.language}"
        out.append((need, need_label(need)))
    return out


def call_facts(call: Call, screen: Triage | None) -> tuple[CallFacts, frozenset[str]]:
    needs, wants = call_needs(call, screen)
    extra: dict = {}
    for plugin in program_plugins.overriding("call_facts"):
        extra.update(plugin.call_facts(call))
    facts = CallFacts(
        call_id=call.pk,
        tier=call.tier,
        call_type=call.call_type,
        priority=call.priority or 3,
        latitude=call.latitude,
        longitude=call.longitude,
        needs=needs,
        person_id=call.person_id,
        location_type=call.location_type,
        extra=extra,
    )
    return facts, wants


def _capabilities(members: list[TeamMember]) -> frozenset[str]:
    caps: set[str] = set()
    for m in members:
        caps.add(m.credential)
        if m.credential in MEDICAL_CREDENTIALS:
            caps.add("medical")
        caps.update(m.specialties or [])
        caps.update(f"lang:{code}" for code in (m.languages or []))
    return frozenset(caps)


def _unsupervised_intern(members: list[TeamMember]) -> bool:
    licensed = {m.user_id for m in members if m.credential == Credential.LICENSED_CLINICIAN}
    return any(m.credential == Credential.INTERN and m.supervisor_id not in licensed for m in members)


class MemberFacts(NamedTuple):
    """What routing reads of an active member: a plain row, not a model instance."""

    user_id: int
    credential: str
    languages: list
    specialties: list
    supervisor_id: int | None


def routing_teams(*, region: str, now=None) -> list[Team]:
    """The teams a routing run ranks, each with `routing_members` (its active members as MemberFacts).

    Members come as values() rows in one query: building a model instance (and prefetch bookkeeping)
    for every member of every team was most of a 1,000-team run.
    """
    teams = list(
        Team.objects.filter(region=region, program__active=True)
        .exclude(status=TeamStatus.OFF_SHIFT)
        .select_related("program")
    )
    by_team: dict[int, list[MemberFacts]] = {t.pk: [] for t in teams}
    rows = TeamMember.objects.filter(team_id__in=list(by_team), active=True).values_list(
        "team_id", "user_id", "credential", "languages", "specialties", "supervisor_id"
    )
    for team_id, *facts in rows.order_by("id"):
        by_team[team_id].append(MemberFacts(*facts))
    for team in teams:
        team.routing_members = by_team[team.pk]
    return teams


def team_workloads(team_ids: list[int], now) -> Counter:
    since = now - timedelta(hours=12)
    rows = Assignment.objects.filter(
        team_id__in=team_ids, offered_at__gte=since, status__in=("accepted", "completed")
    ).values_list("team_id", flat=True)
    return Counter(rows)


def team_base_facts(team: Team, *, now, workload: int) -> TeamFacts:
    """What is true of a team whatever the call: built once per routing run."""
    program = team.program
    members = getattr(team, "routing_members", None)
    if members is None:  # a team not loaded by routing_teams
        members = list(team.members.filter(active=True))
    busy = expected_clear_seconds(team.status, team.seconds_in_status(now))
    return TeamFacts(
        team_id=team.pk,
        name=team.name,
        program_id=program.pk,
        program_kind=program.kind,
        tiers=frozenset(program.tiers or []),
        call_types=frozenset(program.call_types or []),
        open_now=program.is_open_at(timezone.localtime(now).time()),
        covers_call=True,
        status=team.status,
        busy_until_seconds=busy,
        latitude=team.latitude,
        longitude=team.longitude,
        location_age_seconds=team.location_age_seconds(now),
        capabilities=_capabilities(members),
        member_count=len(members),
        unsupervised_intern=_unsupervised_intern(members),
        pairs_with_law_enforcement=program.pairs_with_law_enforcement,
        workload=workload,
        extra=_plugin_team_facts(team),
    )


def _plugin_team_facts(team: Team) -> dict:
    extra: dict = {}
    for plugin in program_plugins.overriding("team_facts"):
        extra.update(plugin.team_facts(team))
    return extra


def team_facts_for_call(base: TeamFacts, team: Team, *, call: Call, excluded: dict[int, str]) -> TeamFacts:
    """The call-dependent part: service area and a refusal of this call still cooling down."""
    return call_team_facts(base, team.program, call=call, excluded=excluded)


def call_team_facts(
    base: TeamFacts, program, *, call: Call, excluded: dict[int, str], covers: dict[int, bool] | None = None
) -> TeamFacts:
    """`covers`: program id -> whether its area covers this call, when the caller has it for every program."""
    covers = covers[base.program_id] if covers is not None else program.covers(call.latitude, call.longitude)
    reason = excluded.get(base.team_id)
    if covers and reason is None:
        return base
    return team_facts_with(base, covers_call=covers, excluded_reason=reason)


def team_facts(team: Team, *, call: Call, now, workload: int, excluded: dict[int, str]) -> TeamFacts:
    return team_facts_for_call(team_base_facts(team, now=now, workload=workload), team, call=call, excluded=excluded)


_REFUSED = [AssignmentStatus.DECLINED.value, AssignmentStatus.LAPSED.value, AssignmentStatus.RECALLED.value]


def refusals(call_ids: list[int]) -> dict[int, dict[int, Refusal]]:
    """Each team's latest refusal (declined, lapsed, recalled) of each call; reoffer.py says what it means."""
    out: dict[int, dict[int, Refusal]] = {cid: {} for cid in call_ids}
    if connection.vendor != "postgresql":  # SQLite (make run): the ORM's query, no arrays
        rows = (
            Assignment.objects.filter(call_id__in=call_ids, status__in=_REFUSED)
            .annotate(ended=Coalesce("ended_at", "responded_at", "offered_at"))
            .order_by("ended", "id")
            .values_list("call_id", "team_id", "status", "ended")
        )
        for call_id, team_id, status, ended in rows:
            out[call_id][team_id] = Refusal(team_id=team_id, kind=status, at=ended)
        return out
    # In SQL as written: every routing run asks, and compiling the ORM's query cost more than running it.
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT call_id, team_id, status, COALESCE(ended_at, responded_at, offered_at) AS ended
                  FROM "{Assignment._meta.db_table}" WHERE call_id = ANY(%s) AND status = ANY(%s)
                 ORDER BY ended, id""",  # noqa: S608 (the table name from the model's meta)
            [list(call_ids), _REFUSED],
        )
        rows = cur.fetchall()
    for call_id, team_id, status, ended in rows:  # later rows overwrite earlier: the latest per team
        out[call_id][team_id] = Refusal(team_id=team_id, kind=status, at=ended)
    return out


def latest_screens(calls: list[Call]) -> dict[int, Triage]:
    """Each call's latest risk screen (as written on PostgreSQL: see refusals)."""
    if connection.vendor != "postgresql":
        rows = Triage.objects.filter(call__in=calls).order_by("call_id", "at", "id")
    else:
        rows = Triage.objects.raw(
            f'SELECT * FROM "{Triage._meta.db_table}" WHERE call_id = ANY(%s) ORDER BY call_id, "at", id',  # noqa: S608
            [[c.pk for c in calls]],
        )
    return {t.call_id: t for t in rows}  # later rows overwrite earlier: the latest screen per call


def waiting_calls_locked(*, region: str, call_ids: Collection[int] | None = None) -> list[Call]:
    """`waiting_calls_for_routing` (only `call_ids` of them, when given), each locked FOR UPDATE SKIP LOCKED and
    with its person, for a routing run. In SQL as written: compiling the ORM's query (an EXISTS, a join, the
    lock) took a routing run 2 ms of CPU, three times running it. The person comes in a second query only
    when one of the calls has one (a routing run's plugins read it)."""
    if connection.vendor != "postgresql":  # SQLite (make run): the ORM's query, no arrays
        waiting = waiting_calls_for_routing(region=region)
        if call_ids is not None:
            waiting = waiting.filter(pk__in=list(call_ids))
        return list(waiting.select_for_update(skip_locked=True, of=("self",)).select_related("person"))
    call, assignment = Call._meta.db_table, Assignment._meta.db_table
    columns = ", ".join(f'"{call}"."{f.column}"' for f in Call._meta.concrete_fields)
    only = f' AND "{call}"."id" = ANY(%s)' if call_ids is not None else ""
    sql = f"""SELECT {columns} FROM "{call}"
               WHERE "{call}"."status" = %s AND "{call}"."region" = %s{only}
                 AND NOT EXISTS (SELECT 1 FROM "{assignment}" a WHERE a.call_id = "{call}"."id" AND a.status = ANY(%s))
               ORDER BY "{call}"."priority", "{call}"."received_at", "{call}"."id"
                 FOR UPDATE OF "{call}" SKIP LOCKED"""  # noqa: S608 (table and column names from the models' meta)
    params = [Status.AWAITING_TEAM.value, region, *([list(call_ids)] if call_ids is not None else [])]
    calls = list(Call.objects.raw(sql, [*params, [s.value for s in ACTIVE_ASSIGNMENT]]))
    if any(c.person_id for c in calls):  # the prefetch machinery costs a routing run half a millisecond for none
        prefetch_related_objects(calls, "person")
    return calls


def waiting_calls_for_routing(*, region: str):
    active = Assignment.objects.filter(call=OuterRef("pk"), status__in=ACTIVE_ASSIGNMENT)
    return (
        Call.objects.filter(status=Status.AWAITING_TEAM, region=region)
        .exclude(Exists(active))
        .order_by("priority", "received_at", "id")
    )


def visible_calls_for(user: User):
    """Calls a user may list: the whole desk for call-desk roles, own requests for officers."""
    if user.has_perm("dispatch.view_call"):
        return Call.objects.all()
    if user.has_perm("dispatch.request_response"):
        return Call.objects.filter(created_by=user)
    return Call.objects.none()


def team_board(*, region: str | None = None):
    active = Assignment.objects.filter(status__in=ACTIVE_ASSIGNMENT).select_related("call")
    qs = Team.objects.select_related("program").prefetch_related(
        Prefetch("members", queryset=TeamMember.objects.filter(active=True).select_related("user")),
        Prefetch("assignments", queryset=active, to_attr="active_assignments"),
    )
    if region:
        qs = qs.filter(region=region)
    return qs.order_by("name")


# How far an SOS position may be from a known call address and still be described as "near" it, and how far
# back those addresses are taken from. Further away, the board shows the coordinates and says no address is known.
NEAR_ADDRESS_METRES = 1000
NEAR_ADDRESS_DAYS = 90


def address_near(latitude: float | None, longitude: float | None) -> str:
    """The nearest known address to a position, as "near <address> (~N m)", or "" when none is close.

    Known addresses are the embedded address table's (crisis.geo) and recent calls' (a place a call came from
    is known even where the table has nothing), whichever is nearer. The table is read directly, never a remote
    geocoder: an SOS is raised inside a transaction holding the team's row, and must not wait on a network.
    A bounding box lets the database drop the far ones before the exact distance is taken here.
    """
    if latitude is None or longitude is None:
        return ""
    dlat = NEAR_ADDRESS_METRES / 111_000
    dlon = dlat * 2  # wide enough for every latitude a service area sits at (cos(60°) = 0.5)
    candidates = (
        Call.objects.filter(
            received_at__gte=timezone.now() - timedelta(days=NEAR_ADDRESS_DAYS),
            latitude__range=(latitude - dlat, latitude + dlat),
            longitude__range=(longitude - dlon, longitude + dlon),
        )
        .exclude(address="")
        .order_by("-received_at")
        .values_list("address", "latitude", "longitude")[:500]
    )
    nearest = [(great_circle_km(latitude, longitude, lat, lon) * 1000, address) for address, lat, lon in candidates]
    place = LocalGeocoder().reverse(latitude, longitude)
    if place is not None:
        nearest.append((place.distance_m, place.short))
    best = min(nearest, default=None)  # the nearest; equally near, the first by address, as before
    if best is None or best[0] > NEAR_ADDRESS_METRES:
        return ""
    metres, address = best
    return f"near {address} (~{max(10, round(metres, -1)):.0f} m)"


def assignment_gaps(call: Call, team: Team, *, now) -> list[str]:
    """What `team` lacks for `call` by the routing rules (skills, language, police pairing, tier, area, hours).

    Whether the team is free is left out: a manual assignment checks that itself, and refuses.
    """
    screen = call.triages.order_by("-at", "-id").first()
    facts, _ = call_facts(call, screen)
    base = team_facts_for_call(team_base_facts(team, now=now, workload=0), team, call=call, excluded={})
    return eligibility_gaps(facts, dataclasses.replace(base, status=TeamStatus.AVAILABLE), routing_config())


def phone_digits(number: str) -> str:
    """The last ten digits of a phone number: 312-555-0101, (312) 555 0101 and +1 312 555 0101 are one number."""
    return "".join(ch for ch in number if ch.isdigit())[-10:]


def possible_duplicates(*, address_key: str, callback_number: str, now, limit: int = 5) -> list[tuple[Call, list[str]]]:
    """Calls received within DUPLICATE_WINDOW_MINUTES at the same address or from the same callback number.

    Each with what matched, newest first: the intake shows them so a second caller about the same crisis
    becomes a note on the first call, not a second team sent.
    """
    digits = phone_digits(callback_number)
    if not settings.DUPLICATE_WINDOW_MINUTES or (len(address_key) < 4 and len(digits) < 7):
        return []
    since = now - timedelta(minutes=settings.DUPLICATE_WINDOW_MINUTES)
    match = Q(address_key=address_key) if len(address_key) >= 4 else Q(pk__in=[])
    if len(digits) >= 7:
        # Narrowed in the database by the last four digits, compared exactly here (punctuation varies).
        match |= Q(callback_number__endswith=digits[-4:])
    out = []
    for call in Call.objects.filter(match, received_at__gte=since).order_by("-received_at")[: limit * 4]:
        why = []
        if len(address_key) >= 4 and call.address_key == address_key:
            why.append("same address")
        if len(digits) >= 7 and phone_digits(call.callback_number) == digits:
            why.append("same callback number")
        if why:
            out.append((call, why))
    return out[:limit]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def call_search(
    *,
    user: User,
    number: int | None = None,
    address: str = "",
    callback: str = "",
    name: str = "",
    since=None,
    until=None,
    status: str = "",
):
    """The desk's call search: every given criterion must match; newest first. Callback numbers match on their
    digits ('(312) 555-0101' finds '312-555-0101'); a name matches the caller or the linked person."""
    qs = visible_calls_for(user).select_related("team", "person").order_by("-received_at", "-id")
    if number is not None:
        qs = qs.filter(pk=number)
    if address.strip():
        qs = qs.filter(address_key__contains=address_key(address))
    digits = _digits(callback)
    if digits:
        stripped = F("callback_number")
        for ch in ("-", " ", "(", ")", ".", "+", "/"):
            stripped = Replace(stripped, Value(ch), Value(""))
        qs = qs.annotate(callback_digits=stripped).filter(callback_digits__contains=digits)
    for word in name.split():
        qs = qs.filter(
            Q(caller_name__icontains=word)
            | Q(person__first_name__icontains=word)
            | Q(person__last_name__icontains=word)
        )
    if since is not None:
        qs = qs.filter(received_at__gte=since)
    if until is not None:
        qs = qs.filter(received_at__lt=until)
    if status:
        qs = qs.filter(status=status)
    return qs


def closed_calls(*, user: User, since=None, until=None, disposition: str = "", team_id: int | None = None):
    """Calls that ended (closed or cancelled), the most recently ended first. `disposition="cancelled"` picks the
    cancelled ones; the dates bound when the call ended."""
    qs = (
        visible_calls_for(user)
        .filter(status__in=(Status.CLOSED, Status.CANCELLED))
        .select_related("team")
        .order_by("-status_changed_at", "-id")
    )
    if since is not None:
        qs = qs.filter(status_changed_at__gte=since)
    if until is not None:
        qs = qs.filter(status_changed_at__lt=until)
    if disposition == "cancelled":
        qs = qs.filter(status=Status.CANCELLED)
    elif disposition:
        qs = qs.filter(disposition=disposition)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    return qs
