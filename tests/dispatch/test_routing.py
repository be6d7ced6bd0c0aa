"""The pure ranking and matching (dispatch/routing.py): facts in, decisions out, no database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dispatch import routing
from dispatch.routing import Candidate, GreatCircleEta, RoutingConfig
from programs.fact.plugin import FactPlugin
from programs.homeless_outreach.plugin import OutreachPlugin
from programs.plugins import CallFacts, TeamFacts

CENTER = (41.8781, -87.6298)
# About 1.1 km per 0.01 degree of latitude.
KM = 0.009

CONFIG = RoutingConfig()
ALL_CAPS = frozenset({"licensed_clinician", "peer_specialist", "emt", "medical", "youth", "lang:en", "lang:es"})
ETA = GreatCircleEta()


def call_facts(**over) -> CallFacts:
    base = dict(
        call_id=1,
        tier="community",
        call_type="mental_health",
        priority=3,
        latitude=CENTER[0],
        longitude=CENTER[1],
    )
    return CallFacts(**(base | over))


def team_facts(team_id: int = 1, *, km_north: float = 1.0, **over) -> TeamFacts:
    base = dict(
        team_id=team_id,
        name=f"Team {team_id}",
        program_id=1,
        program_kind="mobile_crisis",
        tiers=frozenset({"community", "co_response"}),
        call_types=frozenset(),
        open_now=True,
        covers_call=True,
        status="available",
        busy_until_seconds=None,
        latitude=CENTER[0] + km_north * KM,
        longitude=CENTER[1],
        location_age_seconds=30.0,
        capabilities=ALL_CAPS,
        member_count=2,
        unsupervised_intern=False,
        pairs_with_law_enforcement=True,
        workload=0,
    )
    return TeamFacts(**(base | over))


def rank(call, teams, **kw):
    return routing.rank(call, teams, eta=ETA, config=CONFIG, **kw)


# --- eligibility --------------------------------------------------------------------
GAPS = [
    ("tier not served", {}, dict(tiers=frozenset({"co_response"})), "Program does not serve the community tier"),
    ("call type not served", {}, dict(call_types=frozenset({"homelessness"})), "Program does not take mental health"),
    ("program closed", {}, dict(open_now=False), "Program is closed at this hour"),
    ("outside service area", {}, dict(covers_call=False), "Call is outside the program's service area"),
    ("off shift", {}, dict(status="off_shift"), "Team is off shift"),
    ("out of service", {}, dict(status="out_of_service"), "Team is out of service"),
    ("pending offer", {}, dict(status="offered"), "Team has a pending offer"),
    ("one member", {}, dict(member_count=1), "Fewer than 2 members"),
    ("intern unsupervised", {}, dict(unsupervised_intern=True), "An intern is on the team without"),
    (
        "suicide risk, no licensed clinician",
        dict(needs=frozenset({"licensed_clinician"})),
        dict(capabilities=frozenset({"peer_specialist"})),
        "Needs a licensed clinician",
    ),
    (
        "overdose, no medical credential",
        dict(needs=frozenset({"medical"})),
        dict(capabilities=ALL_CAPS - {"emt", "medical"}),
        "Needs a medical credential (EMT or nurse)",
    ),
    (
        "no Spanish speaker",
        dict(needs=frozenset({"lang:es"})),
        dict(capabilities=ALL_CAPS - {"lang:es"}),
        "Needs a Spanish speaker",
    ),
    (
        "minor, no youth specialist",
        dict(needs=frozenset({"youth"})),
        dict(capabilities=ALL_CAPS - {"youth"}),
        "Needs a youth specialist",
    ),
    (
        "co-response without law-enforcement pairing",
        dict(tier="co_response"),
        dict(pairs_with_law_enforcement=False),
        "Does not pair with law enforcement",
    ),
    ("declined before", {}, dict(excluded_reason="Declined this call"), "Declined this call"),
    ("let it lapse before", {}, dict(excluded_reason="Let the offer lapse"), "Let the offer lapse"),
]


@pytest.mark.parametrize("case, call_over, team_over, reason", GAPS, ids=[g[0] for g in GAPS])
def test_eligibility_gap_makes_team_ineligible_with_reason(case, call_over, team_over, reason):
    call = call_facts(**call_over)
    good = team_facts(1)
    assert routing.eligibility_gaps(call, good, CONFIG) == [], "the baseline team must be eligible"
    bad = replace(good, **team_over)
    gaps = routing.eligibility_gaps(call, bad, CONFIG)
    assert len(gaps) == 1 and gaps[0].startswith(reason), gaps
    [cand] = rank(call, [bad])
    assert not cand.eligible and cand.reasons == gaps


def test_capabilities_that_meet_the_needs_make_the_team_eligible():
    call = call_facts(needs=frozenset({"licensed_clinician", "medical", "lang:es", "youth"}))
    team = team_facts(capabilities=frozenset({"licensed_clinician", "emt", "medical", "lang:es", "youth"}))
    [cand] = rank(call, [team])
    assert cand.eligible and cand.reasons == []


def test_several_gaps_are_all_listed():
    call = call_facts(tier="co_response", needs=frozenset({"medical"}))
    team = team_facts(
        member_count=1, pairs_with_law_enforcement=False, open_now=False, capabilities=frozenset({"peer_specialist"})
    )
    gaps = routing.eligibility_gaps(call, team, CONFIG)
    assert len(gaps) == 4


# --- ranking order --------------------------------------------------------------------
def order(cands: list[Candidate]) -> list[int]:
    return [c.team_id for c in cands]


def test_closer_team_ranks_first_and_ineligible_teams_come_last():
    teams = [
        team_facts(1, km_north=8),
        team_facts(2, km_north=1),
        team_facts(3, km_north=0.1, status="out_of_service"),
        team_facts(4, km_north=4),
    ]
    ranked = rank(call_facts(), teams)
    assert order(ranked) == [2, 4, 1, 3]
    assert [c.eligible for c in ranked] == [True, True, True, False]
    assert ranked[0].eta_seconds < ranked[1].eta_seconds < ranked[2].eta_seconds


def test_within_the_same_eta_bucket_skills_decide_then_workload():
    wants = frozenset({"licensed_clinician", "peer_specialist", "substance_use"})
    plain = team_facts(1, km_north=0.5, capabilities=frozenset({"licensed_clinician"}), workload=0)
    skilled_busy = team_facts(
        2, km_north=0.6, capabilities=frozenset({"licensed_clinician", "peer_specialist", "substance_use"}), workload=5
    )
    skilled_rested = replace(skilled_busy, team_id=3, name="Team 3", workload=1, latitude=plain.latitude + 0.0002)
    ranked = rank(call_facts(), [plain, skilled_busy, skilled_rested], wants=wants)
    # All within one two-minute bucket: most skills first, then least workload.
    assert {int(c.score // CONFIG.eta_bucket_seconds) for c in ranked} == {0}
    assert order(ranked) == [3, 2, 1]


def test_skills_never_beat_a_clearly_faster_team():
    wants = frozenset({"peer_specialist", "substance_use"})
    near_plain = team_facts(1, km_north=1, capabilities=frozenset({"licensed_clinician"}))
    far_skilled = team_facts(2, km_north=15, capabilities=frozenset({"licensed_clinician", *wants}))
    assert order(rank(call_facts(), [far_skilled, near_plain], wants=wants)) == [1, 2]


def test_stale_location_counts_against_the_team():
    fresh = team_facts(1, km_north=3, location_age_seconds=60)
    stale = team_facts(2, km_north=1, location_age_seconds=CONFIG.stale_after_seconds + 1)
    ranked = rank(call_facts(), [stale, fresh])
    assert order(ranked) == [1, 2]
    by_id = {c.team_id: c for c in ranked}
    plain_eta = ETA.travel_seconds(stale.latitude, stale.longitude, CENTER[0], CENTER[1])
    assert by_id[2].eta_seconds == pytest.approx(plain_eta + CONFIG.stale_penalty_seconds)
    assert "Last location is stale" in by_id[2].notes
    # A never-reported position is stale too.
    assert "Last location is stale" in rank(call_facts(), [replace(fresh, location_age_seconds=None)])[0].notes


def test_unknown_position_is_assumed_far():
    [cand] = rank(call_facts(), [team_facts(1, latitude=None, longitude=None)])
    assert cand.eligible and cand.eta_seconds == CONFIG.unknown_location_seconds


def test_soon_available_team_is_ranked_with_its_clear_time_but_not_offered():
    busy_near = team_facts(1, km_north=0.2, status="on_scene", busy_until_seconds=900)
    free_far = team_facts(2, km_north=3)
    ranked = rank(call_facts(), [busy_near, free_far])
    by_id = {c.team_id: c for c in ranked}
    assert by_id[1].eligible and not by_id[1].available_now
    assert by_id[1].eta_seconds >= 900
    assert any(n.startswith("Soon available") for n in by_id[1].notes)
    # Only a soon-available team: ranked, but neither matching nor greedy offers it.
    alone = {7: rank(call_facts(call_id=7), [busy_near])}
    assert alone[7][0].eligible
    assert routing.match(alone, {7: 1}) == {}
    assert routing.greedy(alone, [7]) == {}
    # With a free team around, that team gets the call.
    assert routing.match({1: ranked}, {1: 3})[1].team_id == 2


# --- joint matching -----------------------------------------------------------------
def _two_calls_two_teams():
    """Greedy in call order takes team 1 for call A (1 km vs 2 km) and leaves call B
    with team 1's rival 20 km away; jointly, A takes team 2 and B team 1."""
    call_a = call_facts(call_id=10, priority=3)
    call_b = call_facts(call_id=11, priority=3, latitude=CENTER[0] - 1 * KM)
    t1 = team_facts(1, km_north=0)  # between the two calls
    t2 = team_facts(2, km_north=2)  # north of A, far from B
    ranked = {
        10: rank(call_a, [t1, t2]),
        11: rank(call_b, [t1, replace(t2, latitude=CENTER[0] + 20 * KM)]),
    }
    return ranked


def _total_eta(chosen: dict[int, Candidate]) -> float:
    return sum(c.eta_seconds for c in chosen.values())


def test_joint_matching_lowers_total_eta_where_greedy_does_not():
    ranked = _two_calls_two_teams()
    greedy = routing.greedy(ranked, [10, 11])
    joint = routing.match(ranked, {10: 3, 11: 3})
    assert {cid: c.team_id for cid, c in greedy.items()} == {10: 1, 11: 2}
    assert {cid: c.team_id for cid, c in joint.items()} == {10: 2, 11: 1}
    assert _total_eta(joint) < _total_eta(greedy)


def test_matching_never_trades_a_priority_1_call_away():
    # The same geometry, but call A is priority 1: even though the joint total
    # would be lower, A keeps its closest team.
    ranked = _two_calls_two_teams()
    joint = routing.match(ranked, {10: 1, 11: 3})
    assert joint[10].team_id == 1
    assert joint[11].team_id == 2


def test_priority_1_keeps_its_closest_team_even_when_the_saving_elsewhere_is_large():
    p1 = call_facts(call_id=1, priority=1)
    p2 = call_facts(call_id=2, priority=2, latitude=CENTER[0] - 5 * KM)
    near = team_facts(1, km_north=0)
    other = team_facts(2, km_north=1.5)
    ranked = {1: rank(p1, [near, other]), 2: rank(p2, [near, replace(other, latitude=CENTER[0] + 60 * KM)])}
    assert routing.match(ranked, {1: 1, 2: 2})[1].team_id == 1


def test_matching_never_gives_one_team_two_calls_and_skips_calls_without_a_free_team():
    teams = [team_facts(1, km_north=1), team_facts(2, km_north=2)]
    ranked = {cid: rank(call_facts(call_id=cid), teams) for cid in (1, 2, 3)}
    ranked[4] = rank(call_facts(call_id=4, needs=frozenset({"lang:fr"})), teams)
    chosen = routing.match(ranked, {1: 2, 2: 3, 3: 3, 4: 1})
    assert 4 not in chosen
    assert len(chosen) == 2
    assert len({c.team_id for c in chosen.values()}) == 2
    assert 1 in chosen, "the most urgent call that can be served is served"


# --- holding a call for a team about to clear --------------------------------------------
def _busy(team_id: int = 1, *, km_north: float = 0.0, clears_in: float = 600.0, **over) -> TeamFacts:
    return team_facts(team_id, km_north=km_north, status="on_scene", busy_until_seconds=clears_in, **over)


def test_a_call_is_held_for_a_team_about_to_clear_that_arrives_far_sooner():
    # Team 1 clears in 10 minutes on the call's block; the only free team is 15 km (~32 min) away.
    ranked = {1: rank(call_facts(priority=3), [_busy(), team_facts(2, km_north=15)])}
    held: dict[int, Candidate] = {}
    assert routing.match(ranked, {1: 3}, holds=True, held=held) == {}
    assert held[1].team_id == 1
    # Greedy (one call at a time, free teams only) never holds.
    assert routing.greedy(ranked, [1])[1].team_id == 2


def test_by_default_no_call_is_held_while_an_eligible_team_is_free():
    # The same scene without the region's opt-in: the free team 15 km away gets the offer now.
    ranked = {1: rank(call_facts(priority=3), [_busy(), team_facts(2, km_north=15)])}
    held: dict[int, Candidate] = {}
    assert routing.match(ranked, {1: 3}, held=held)[1].team_id == 2
    assert held == {}
    assert routing.RoutingConfig().hold_for_clearing_team is False


def test_a_priority_1_call_is_never_held():
    ranked = {1: rank(call_facts(priority=1), [_busy(), team_facts(2, km_north=15)])}
    held: dict[int, Candidate] = {}
    assert routing.match(ranked, {1: 1}, holds=True, held=held)[1].team_id == 2
    assert held == {}


def test_a_free_team_within_the_margin_is_offered_rather_than_holding():
    # The busy team would arrive in ~10 min, the free one (5.5 km) in ~10.8: less than the 5-minute margin later.
    ranked = {1: rank(call_facts(), [_busy(), team_facts(2, km_north=5.5)])}
    by_id = {c.team_id: c for c in ranked[1]}
    assert by_id[1].eta_seconds < by_id[2].eta_seconds < by_id[1].eta_seconds + routing.HOLD_MARGIN_SECONDS
    held: dict[int, Candidate] = {}
    assert routing.match(ranked, {1: 3}, holds=True, held=held)[1].team_id == 2
    assert held == {}


def test_no_hold_for_a_team_already_past_its_typical_time():
    # Its estimate sits at the five-minute floor however long it overruns: nothing to wait for with confidence.
    overrunning = _busy(clears_in=300)
    ranked = {1: rank(call_facts(), [overrunning, team_facts(2, km_north=15)])}
    held: dict[int, Candidate] = {}
    assert routing.match(ranked, {1: 3}, holds=True, held=held)[1].team_id == 2
    assert held == {}


def test_no_hold_for_a_team_expected_to_be_over_an_hour_away():
    ranked = {1: rank(call_facts(), [_busy(clears_in=3700), team_facts(2, km_north=80)])}
    held: dict[int, Candidate] = {}
    assert routing.match(ranked, {1: 3}, holds=True, held=held)[1].team_id == 2
    assert held == {}


def test_one_team_about_to_clear_holds_one_call_only():
    # Both calls would rather wait for team 1; the more urgent one does, the other takes the free team.
    p2, p3 = call_facts(call_id=1, priority=2), call_facts(call_id=2, priority=3)
    teams = [_busy(), team_facts(2, km_north=15)]
    held: dict[int, Candidate] = {}
    chosen = routing.match({1: rank(p2, teams), 2: rank(p3, teams)}, {1: 2, 2: 3}, holds=True, held=held)
    assert {cid: c.team_id for cid, c in held.items()} == {1: 1}
    assert {cid: c.team_id for cid, c in chosen.items()} == {2: 2}


def test_a_busy_continuity_team_is_no_reason_to_hold():
    # The person's FACT team goes first when free. Busy for another half hour, it is held for only as any team
    # would be: here the free team arrives sooner, so the free team goes, as before holds existed.
    fact_team = _busy(1, clears_in=1800, program_kind="fact", program_id=2)
    call = call_facts(person_id=5, extra={"fact_team_ids": frozenset({1})})
    ranked = {1: rank(call, [fact_team, team_facts(2, km_north=15)], plugins=PLUGINS)}
    held: dict[int, Candidate] = {}
    assert routing.match(ranked, {1: 3}, holds=True, held=held)[1].team_id == 2
    assert held == {}


# --- program plugins -----------------------------------------------------------------
PLUGINS = (FactPlugin(), OutreachPlugin())


def test_fact_enrolled_team_goes_first_even_when_farther():
    near = team_facts(1, km_north=0.5)
    fact_team = team_facts(2, km_north=12, program_kind="fact", program_id=2)
    call = call_facts(person_id=5, extra={"fact_team_ids": frozenset({2})})
    ranked = rank(call, [near, fact_team], plugins=PLUGINS)
    assert order(ranked) == [2, 1]
    assert ranked[0].first and "continuity of care" in ranked[0].notes[0]
    assert routing.match({1: ranked}, {1: 3})[1].team_id == 2


def test_fact_team_is_ineligible_for_a_person_not_enrolled_with_it():
    fact_team = team_facts(2, km_north=0.1, program_kind="fact", program_id=2)
    call = call_facts(person_id=5, extra={"fact_team_ids": frozenset()})
    [cand] = rank(call, [fact_team], plugins=PLUGINS)
    assert not cand.eligible
    assert cand.reasons == ["FACT team answers only its enrolled clients"]


def test_person_experiencing_homelessness_prefers_a_housing_partner_team():
    near = team_facts(1, km_north=1)
    partner = team_facts(2, km_north=4, extra={"has_housing_partners": True})
    housed = rank(call_facts(extra={"person_homeless": False}), [near, partner], plugins=PLUGINS)
    homeless = rank(call_facts(extra={"person_homeless": True}), [near, partner], plugins=PLUGINS)
    assert order(housed) == [1, 2]
    assert order(homeless) == [2, 1]
    assert any("housing partners" in n for n in homeless[0].notes)


def test_without_plugins_program_kind_changes_nothing():
    # Routing itself never branches on a program's kind: only plugins do.
    fact_team = team_facts(2, km_north=0.1, program_kind="fact")
    [cand] = rank(call_facts(), [fact_team])
    assert cand.eligible


def test_great_circle_eta_uses_road_factor_and_speed():
    eta = GreatCircleEta(road_factor=1.5, speed_kmh=30)
    seconds = eta.travel_seconds(CENTER[0], CENTER[1], CENTER[0] + 0.1, CENTER[1])
    km = 0.1 * 111.2
    assert seconds == pytest.approx(km * 1.5 / 30 * 3600, rel=0.01)
