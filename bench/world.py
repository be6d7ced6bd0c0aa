"""Synthetic cities: teams with mixed skills and calls with needs, as facts or as database rows.

One seeded generator feeds both the pure ranking benchmark, the simulated day
and the database sections, so the same mix of programs and skills is measured
everywhere.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from types import SimpleNamespace

from bench.common import CENTER

KM_PER_DEG_LAT = 111.32


def km_to_latlon(x_km: float, y_km: float) -> tuple[float, float]:
    """Offsets from the city centre (east, north) in km to latitude/longitude."""
    lat = CENTER[0] + y_km / KM_PER_DEG_LAT
    lon = CENTER[1] + x_km / (KM_PER_DEG_LAT * math.cos(math.radians(CENTER[0])))
    return lat, lon


def random_point(rng: random.Random, side_km: float) -> tuple[float, float]:
    half = side_km / 2.0
    return km_to_latlon(rng.uniform(-half, half), rng.uniform(-half, half))


# Programs as data (kind, tiers, call types, pairs with law enforcement, housing partners), with weights.
PROGRAMS = (
    ("Bench Mobile Crisis", "mobile_crisis", ["community", "co_response"], [], True, False, 0.50),
    (
        "Bench Community Responders",
        "community_responder",
        ["community"],
        ["welfare_check", "social_disturbance", "homelessness", "mental_health", "substance_use"],
        False,
        False,
        0.25,
    ),
    ("Bench Homeless Outreach", "homeless_outreach", ["community"], [], False, True, 0.15),
    ("Bench FACT", "fact", ["community", "co_response"], [], True, False, 0.10),
)
CALL_TYPES = ("mental_health", "suicidal", "welfare_check", "substance_use", "social_disturbance", "homelessness")


def random_members(rng: random.Random) -> list[tuple[str, list[str], list[str]]]:
    """Two or three members: (credential, languages, specialties)."""
    first = "licensed_clinician" if rng.random() < 0.5 else rng.choice(["case_manager", "peer_specialist"])
    second = rng.choice(["emt", "nurse"]) if rng.random() < 0.3 else "peer_specialist"
    members = [(first, ["en"], []), (second, ["en"], [])]
    if rng.random() < 0.2:
        members.append(("case_manager", ["en"], []))
    if rng.random() < 0.3:
        members[0][1].append("es")
    if rng.random() < 0.25:
        members[0][2].append("youth")
    if rng.random() < 0.2:
        members[-1][2].append("substance_use")
    return members


def capabilities(members) -> frozenset[str]:
    """Exactly the capability set routing derives from TeamMember rows."""
    from dispatch import selectors

    return selectors._capabilities(
        [SimpleNamespace(credential=c, languages=langs, specialties=specs) for c, langs, specs in members]
    )


def random_needs(rng: random.Random) -> tuple[str, frozenset[str]]:
    """A call type and what a team must have for it."""
    call_type = rng.choice(CALL_TYPES)
    needs: set[str] = set()
    if call_type == "suicidal" or rng.random() < 0.1:
        needs.add("licensed_clinician")
    if rng.random() < 0.08:
        needs.add("medical")
    if rng.random() < 0.08:
        needs.add("youth")
    if rng.random() < 0.12:
        needs.add("lang:es")
    return call_type, frozenset(needs)


@dataclass
class SynthTeam:
    index: int
    program: tuple
    members: list
    caps: frozenset[str]
    lat: float
    lon: float


def synth_teams(rng: random.Random, n: int, side_km: float = 30.0) -> list[SynthTeam]:
    weights = [p[-1] for p in PROGRAMS]
    teams = []
    for i in range(n):
        program = rng.choices(PROGRAMS, weights=weights)[0]
        members = random_members(rng)
        lat, lon = random_point(rng, side_km)
        teams.append(SynthTeam(i, program, members, capabilities(members), lat, lon))
    return teams


def team_facts(t: SynthTeam, *, team_id: int, status: str = "available", busy_seconds: float | None = None):
    from programs.plugins import TeamFacts

    name, kind, tiers, call_types, pairs_le, housing, _w = t.program
    return TeamFacts(
        team_id=team_id,
        name=f"T{team_id}",
        program_id=PROGRAMS.index(t.program) + 1,
        program_kind=kind,
        tiers=frozenset(tiers),
        call_types=frozenset(call_types),
        open_now=True,
        covers_call=True,
        status=status,
        busy_until_seconds=busy_seconds,
        latitude=t.lat,
        longitude=t.lon,
        location_age_seconds=30.0,
        capabilities=t.caps,
        member_count=len(t.members),
        unsupervised_intern=False,
        pairs_with_law_enforcement=pairs_le,
        workload=0,
        extra={"has_housing_partners": housing},
    )


def synth_call(rng: random.Random, call_id: int, side_km: float = 30.0, fact_team_ids=frozenset()):
    from programs.plugins import CallFacts

    call_type, needs = random_needs(rng)
    lat, lon = random_point(rng, side_km)
    homeless = call_type == "homelessness" or rng.random() < 0.1
    priority = rng.choices((1, 2, 3, 4), weights=(0.15, 0.35, 0.4, 0.1))[0]
    facts = CallFacts(
        call_id=call_id,
        tier="co_response" if rng.random() < 0.1 else "community",
        call_type=call_type,
        priority=priority,
        latitude=lat,
        longitude=lon,
        needs=needs,
        extra={"fact_team_ids": fact_team_ids, "person_homeless": homeless},
    )
    wants = needs | {"peer_specialist"} | ({"substance_use"} if call_type == "substance_use" else set())
    return facts, frozenset(wants)


# --- database rows -------------------------------------------------------------------------
def create_programs():
    from programs.models import Program

    out = {}
    for name, kind, tiers, call_types, pairs_le, housing, _w in PROGRAMS:
        program, _ = Program.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "tiers": tiers,
                "call_types": call_types,
                "pairs_with_law_enforcement": pairs_le,
                "has_housing_partners": housing,
            },
        )
        out[name] = program
    return out


def create_teams(rng: random.Random, n: int, *, region: str, prefix: str, side_km: float = 30.0, program=None):
    """Bulk-create n available teams with members (responder users) in one region. Returns Team rows."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from crisis.models import User
    from responders.models import Team, TeamMember

    programs = create_programs()
    now = timezone.now()
    synth = synth_teams(rng, n, side_km)
    teams = Team.objects.bulk_create(
        [
            Team(
                name=f"{prefix}-{t.index:04d}",
                program=program or programs[t.program[0]],
                region=region,
                status="available",
                status_changed_at=now,
                latitude=t.lat,
                longitude=t.lon,
                location_reported_at=now,
            )
            for t in synth
        ]
    )
    users = []
    rows = []
    for team, t in zip(teams, synth, strict=True):
        for j, (cred, langs, specs) in enumerate(t.members):
            user = User(username=f"{prefix}-{t.index:04d}-{j}", region=region)
            user.set_unusable_password()
            users.append(user)
            rows.append((team, cred, langs, specs))
    users = User.objects.bulk_create(users)
    responder = Group.objects.get(name="responder")
    responder.user_set.add(*users)
    TeamMember.objects.bulk_create(
        [
            TeamMember(team=team, user=user, credential=cred, languages=langs, specialties=specs)
            for user, (team, cred, langs, specs) in zip(users, rows, strict=True)
        ]
    )
    return teams


def create_waiting_call(rng: random.Random, *, region: str, side_km: float = 30.0, needs_free: bool = False):
    """A call already triaged to the community tier and awaiting a team (no routing task enqueued)."""
    from django.utils import timezone

    from dispatch.models import Call

    lat, lon = random_point(rng, side_km)
    now = timezone.now()
    return Call.objects.create(
        source="911",
        address=f"{rng.randint(1, 9999)} Bench St",
        latitude=lat,
        longitude=lon,
        call_type="mental_health" if needs_free else rng.choice(CALL_TYPES),
        nature="bench call",
        person_description="bench",
        region=region,
        status="awaiting_team",
        status_changed_at=now,
        priority=rng.choice((1, 2, 3)),
        tier="community",
        triaged_at=now,
        awaiting_since=now,
    )
