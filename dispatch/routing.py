"""Ranking teams for calls: pure functions over facts, no database.

`rank` orders every team for one call and says why each ineligible team was
left out; `match` assigns several waiting calls jointly by a minimum-cost
matching instead of one after another. A call that is not priority 1 may be
held for a team about to clear that would still arrive clearly sooner than any
free team (bench/simday.py measures it against one-at-a-time dispatch). Travel time comes from an
`EtaEstimator`, so a road-network router can replace the great-circle
estimate without touching the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from scipy.optimize import linear_sum_assignment

from crisis import languages
from programs.models import great_circle_km
from programs.plugins import CallFacts, ProgramPlugin, TeamFacts

NEED_LABELS = {
    "licensed_clinician": "a licensed clinician",
    "medical": "a medical credential (EMT or nurse)",
    "youth": "a youth specialist",
    "substance_use": "a substance-use specialist",
    "peer_specialist": "a peer specialist",
    # A member's specialty "female_responder" (team admin), for a caller who asks for a woman (e.g. after an assault).
    "female_responder": "a female responder",
}


def need_label(need: str) -> str:
    if need.startswith("lang:"):
        return f"a {languages.name(need[5:])} speaker"
    return NEED_LABELS.get(need, need)


class EtaEstimator(Protocol):
    def travel_seconds(self, lat1: float, lon1: float, lat2: float, lon2: float) -> float: ...


@dataclass(frozen=True)
class GreatCircleEta:
    """Straight-line distance times a road factor, at an average urban speed."""

    road_factor: float = 1.3
    speed_kmh: float = 40.0

    def travel_seconds(self, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        return great_circle_km(lat1, lon1, lat2, lon2) * self.road_factor / self.speed_kmh * 3600.0

    def travel_seconds_many(self, lats: np.ndarray, lons: np.ndarray, lat: float, lon: float) -> np.ndarray:
        """`travel_seconds` from each (lats[i], lons[i]) to one point, in one pass (1,000 teams: 0.1 ms, not 1.3)."""
        return _great_circle_km_many(lats, lons, lat, lon) * self.road_factor / self.speed_kmh * 3600.0


def _great_circle_km_many(lats: np.ndarray, lons: np.ndarray, lat: float, lon: float) -> np.ndarray:
    """programs.models.great_circle_km, the same formula over arrays."""
    r = 6371.0088
    p1, p2 = np.radians(lats), math.radians(lat)
    dp, dl = p2 - p1, np.radians(lon - lons)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.minimum(1.0, np.sqrt(a)))


@dataclass(frozen=True)
class RoutingConfig:
    stale_after_seconds: float = 300.0
    # A stale or missing position means the team may be anywhere: count it
    # against them rather than trusting an old fix.
    stale_penalty_seconds: float = 600.0
    unknown_location_seconds: float = 1800.0
    # ETAs within the same two minutes are "as fast"; skills, then workload
    # decide between them.
    eta_bucket_seconds: float = 120.0
    min_members: int = 2
    # Holds (match below): off unless the region turns them on (ROUTING_HOLD_FOR_CLEARING_TEAM), because a held
    # call waits while an eligible team is free, which the platform otherwise never lets happen.
    hold_for_clearing_team: bool = False


FREE_STATUSES = frozenset({"available"})
SOON_FREE_STATUSES = frozenset({"assigned", "on_scene", "transporting"})
CLOSED_NOW = "Program is closed at this hour"
UNAVAILABLE_REASONS = {
    "offered": "Team has a pending offer",
    "out_of_service": "Team is out of service",
    "off_shift": "Team is off shift",
}


@dataclass(slots=True)
class Candidate:
    team_id: int
    team_name: str
    eligible: bool
    available_now: bool
    eta_seconds: float | None = None
    score: float = math.inf
    first: bool = False
    skills: int = 0
    workload: int = 0
    # A busy team's expected seconds to clear (selectors.expected_clear_seconds); None when free.
    clears_in: float | None = None
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "team_id": self.team_id,
            "team": self.team_name,
            "eligible": self.eligible,
            "available_now": self.available_now,
            "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds),
            "reasons": self.reasons,
            "notes": self.notes,
        }


def eligibility_gaps(call: CallFacts, team: TeamFacts, config: RoutingConfig) -> list[str]:
    gaps: list[str] = []
    if team.excluded_reason:
        gaps.append(team.excluded_reason)
    if call.tier not in team.tiers:
        gaps.append(f"Program does not serve the {call.tier.replace('_', '-')} tier")
    if team.call_types and call.call_type not in team.call_types:
        gaps.append(f"Program does not take {call.call_type.replace('_', ' ')} calls")
    if not team.open_now:
        gaps.append(CLOSED_NOW)
    if not team.covers_call:
        gaps.append("Call is outside the program's service area")
    if team.status not in FREE_STATUSES and team.status not in SOON_FREE_STATUSES:
        gaps.append(UNAVAILABLE_REASONS.get(team.status, f"Team is {team.status.replace('_', ' ')}"))
    if team.member_count < config.min_members:
        gaps.append(f"Fewer than {config.min_members} members on the team")
    if team.unsupervised_intern:
        gaps.append("An intern is on the team without their licensed supervisor")
    missing = call.needs - team.capabilities
    if missing:
        gaps.extend(f"Needs {need_label(need)}" for need in sorted(missing))
    if call.tier == "co_response" and not team.pairs_with_law_enforcement:
        gaps.append("Does not pair with law enforcement (co-response)")
    return gaps


_UNSET = object()


def assess(
    call: CallFacts,
    team: TeamFacts,
    *,
    eta: EtaEstimator,
    plugins: Sequence[ProgramPlugin],
    config: RoutingConfig,
    wants: frozenset[str] = frozenset(),
    travel: float | None | object = _UNSET,
) -> Candidate:
    """`travel`: the plain travel time from the team's position when `rank` has it for every team (None: the
    team's or the call's position is unknown); otherwise asked of `eta` here."""
    reasons = eligibility_gaps(call, team, config)
    notes: list[str] = []
    first, bonus = False, 0.0
    for plugin in plugins:
        verdict = plugin.assess(call, team)
        if verdict is None:
            continue
        if verdict.ineligible:
            reasons.append(verdict.ineligible)
        if verdict.after_hours and CLOSED_NOW in reasons:
            reasons.remove(CLOSED_NOW)
        first = first or verdict.first
        bonus += verdict.bonus_seconds
        if verdict.note:
            notes.append(verdict.note)

    if travel is _UNSET:
        travel = _travel(eta, call, team)
    if travel is None:
        travel = config.unknown_location_seconds
        notes.append("Position unknown: assumed far")
    elif (age := team.location_age_seconds) is None or age > config.stale_after_seconds:
        travel += config.stale_penalty_seconds
        notes.append("Last location is stale")
    status = team.status
    available_now = status in FREE_STATUSES
    busy = team.busy_until_seconds
    if not available_now and status in SOON_FREE_STATUSES:
        notes.append(f"Soon available (clears in ~{round((busy or 0.0) / 60)} min)")
    eta_seconds = travel + (busy or 0.0)
    # Positional, in the order of Candidate's fields (a thousand keyword calls a run cost a few hundred µs).
    return Candidate(
        team.team_id,
        team.name,
        not reasons,  # eligible
        available_now,
        eta_seconds,
        eta_seconds - bonus,  # score
        first,
        len(wants & team.capabilities) if wants else 0,  # skills
        team.workload,
        None if available_now else busy,  # clears_in
        reasons,
        notes,
    )


def _travel(eta: EtaEstimator, call: CallFacts, team: TeamFacts) -> float | None:
    if team.latitude is None or team.longitude is None or call.latitude is None or call.longitude is None:
        return None
    return eta.travel_seconds(team.latitude, team.longitude, call.latitude, call.longitude)


def _travel_all(eta: EtaEstimator, call: CallFacts, teams: list[TeamFacts]) -> list[float | None]:
    """Every team's plain travel time to the call: in one array pass when the estimator offers it."""
    many = getattr(eta, "travel_seconds_many", None)
    if many is None or call.latitude is None or call.longitude is None:
        return [_travel(eta, call, t) for t in teams]
    lats = np.array([math.nan if t.latitude is None else t.latitude for t in teams], dtype=float)
    lons = np.array([math.nan if t.longitude is None else t.longitude for t in teams], dtype=float)
    seconds = many(lats, lons, call.latitude, call.longitude).tolist()
    return [None if t.latitude is None or t.longitude is None else s for t, s in zip(teams, seconds, strict=True)]


def sort_key(config: RoutingConfig) -> Callable[[Candidate], tuple]:
    """The order of a call's candidates: eligible, "first" (e.g. FACT continuity), ETA in buckets, skills,
    workload, ETA, team id."""
    bucket = config.eta_bucket_seconds

    def key(c: Candidate) -> tuple:
        return (not c.eligible, not c.first, math.floor(c.score / bucket), -c.skills, c.workload, c.score, c.team_id)

    return key


def rank(
    call: CallFacts,
    teams: Iterable[TeamFacts],
    *,
    eta: EtaEstimator,
    plugins: Sequence[ProgramPlugin] = (),
    config: RoutingConfig = RoutingConfig(),
    wants: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """Every team for one call: eligible teams best first, then the ineligible with reasons."""
    teams = teams if isinstance(teams, list) else list(teams)
    travel = _travel_all(eta, call, teams)
    cands = [
        assess(call, t, eta=eta, plugins=plugins, config=config, wants=wants, travel=tt)
        for t, tt in zip(teams, travel, strict=True)
    ]
    cands.sort(key=sort_key(config))
    return cands


# Weight of a minute of waiting by priority in the joint matching: a priority
# 1 call is never traded away to save a few minutes on two lower ones.
PRIORITY_WEIGHT = {1: 8.0, 2: 4.0, 3: 2.0, 4: 1.0}
_FIRST_BONUS = 1e6
_INFEASIBLE = 1e12
# Holding (opt-in: RoutingConfig.hold_for_clearing_team): a call waits for a team about to clear when that
# team's ETA (expected time to clear + drive, selectors.expected_clear_seconds) still beats every free team by
# more than HOLD_MARGIN_SECONDS, so the free team stays for the next call. Never a priority 1 call (the clear time
# is an estimate), never for a team expected to be longer than HOLD_MAX_ETA_SECONDS away; the hold is re-decided
# on every routing run (a team clearing enqueues one). The simulated day, medium load: mean arrival -17% against
# one call at a time (-5% for the joint match without holds), calls arriving after an hour 30 -> 17 a day.
HOLD_MARGIN_SECONDS = 300.0
HOLD_FROM_PRIORITY = 2
HOLD_MAX_ETA_SECONDS = 3600.0
# A team already past its typical time for its status shows the five-minute minimum estimate however long it
# overruns: holding a call for it could last as long as the overrun. No hold for it.
HOLD_MIN_CLEAR_SECONDS = 300.0


def match(
    ranked: dict[int, list[Candidate]],
    priorities: dict[int, int],
    *,
    holds: bool = False,
    held: dict[int, Candidate] | None = None,
) -> dict[int, Candidate]:
    """Jointly assign waiting calls to teams free now, minimising weighted total ETA.

    `ranked` maps call id to its candidates (from `rank`). Returns call id to
    the chosen candidate; a call with no eligible free team is left out, and so
    is a call held for a team about to clear when `holds` allows it (put in `held`, call id to that team).
    """
    chosen: dict[int, Candidate] = {}
    taken: set[int] = set()
    # Most urgent calls first, each level matched jointly over the teams the
    # levels above left free: a weighted sum alone would still hand a priority
    # 1 call a farther team whenever that saved enough on lower-priority calls.
    for level in sorted({priorities.get(cid, 3) for cid in ranked}):
        level_ranked = {cid: cands for cid, cands in ranked.items() if priorities.get(cid, 3) == level}
        level_chosen, level_held = _match_level(level_ranked, level, taken, holds=holds)
        chosen |= level_chosen
        taken |= {c.team_id for c in level_chosen.values()} | {c.team_id for c in level_held.values()}
        if held is not None:
            held |= level_held
    return chosen


def _offerable(c: Candidate, taken: set[int]) -> bool:
    return c.eligible and c.available_now and c.team_id not in taken


def _holdable(c: Candidate, taken: set[int], level: int, holds: bool) -> bool:
    return (
        holds
        and level >= HOLD_FROM_PRIORITY
        and c.eligible
        and c.team_id not in taken
        and c.eta_seconds is not None
        and c.eta_seconds <= HOLD_MAX_ETA_SECONDS
        and c.clears_in is not None
        and c.clears_in > HOLD_MIN_CLEAR_SECONDS
    )


def _match_level(
    ranked: dict[int, list[Candidate]], level: int, taken: set[int], *, holds: bool
) -> tuple[dict[int, Candidate], dict[int, Candidate]]:
    call_ids = [cid for cid, cands in ranked.items() if any(_offerable(c, taken) for c in cands)]
    if not call_ids:
        return {}, {}
    # A team about to clear is a column too: a call matched to it is held, not offered.
    columns = [c for cid in call_ids for c in ranked[cid] if _offerable(c, taken) or _holdable(c, taken, level, holds)]
    team_ids = sorted({c.team_id for c in columns})
    col = {tid: j for j, tid in enumerate(team_ids)}
    cost = np.full((len(call_ids), len(team_ids)), _INFEASIBLE)
    weight = PRIORITY_WEIGHT.get(level, 1.0)
    for i, cid in enumerate(call_ids):
        for c in ranked[cid]:
            if _offerable(c, taken):
                seconds = c.score
            elif _holdable(c, taken, level, holds):
                seconds = c.score + HOLD_MARGIN_SECONDS
            else:
                continue
            # "First" (e.g. FACT continuity) wins among free teams; it is no reason to hold a call.
            cost[i, col[c.team_id]] = weight * seconds - (_FIRST_BONUS if c.first and c.available_now else 0.0)
    rows, cols = linear_sum_assignment(cost)
    chosen: dict[int, Candidate] = {}
    held: dict[int, Candidate] = {}
    for i, j in zip(rows, cols, strict=True):
        if cost[i, j] >= _INFEASIBLE:
            continue
        cid, tid = call_ids[i], team_ids[j]
        pick = next(c for c in ranked[cid] if c.team_id == tid)
        (chosen if pick.available_now else held)[cid] = pick
    return chosen, held


def greedy(ranked: dict[int, list[Candidate]], order: Sequence[int]) -> dict[int, Candidate]:
    """Closest-available-unit dispatch, one call at a time (the baseline)."""
    taken: set[int] = set()
    chosen: dict[int, Candidate] = {}
    for cid in order:
        for c in ranked.get(cid, []):
            if c.eligible and c.available_now and c.team_id not in taken:
                chosen[cid] = c
                taken.add(c.team_id)
                break
    return chosen
