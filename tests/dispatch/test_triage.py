"""The triage table, row by row (dispatch/triage.py)."""

import pytest

from dispatch.triage import RULES, SCREEN_FIELDS, evaluate


@pytest.mark.parametrize(
    "screen, priority, tier, must_fire",
    [
        ({"phone_engaged": True}, 4, "phone", {"phone_engaged"}),
        ({}, 3, "community", {"needs_in_person"}),
        ({"si_wish_dead": True, "phone_engaged": True}, 3, "phone", {"suicide_ideation"}),
        ({"si_thoughts": True}, 3, "community", {"suicide_ideation", "needs_in_person"}),
        ({"si_thoughts": True, "si_method": True, "phone_engaged": True}, 2, "community", {"suicide_moderate_risk"}),
        ({"si_intent": True, "si_plan": True}, 1, "community", {"suicide_high_risk"}),
        ({"si_behavior": True, "phone_engaged": True}, 1, "community", {"suicide_high_risk"}),
        ({"weapons": True}, 1, "co_response", {"weapons"}),
        ({"violence": True}, 1, "co_response", {"violence"}),
        ({"weapons": True, "violence": True}, 1, "le_ems", {"armed_and_violent"}),
        ({"medical": True}, 1, "le_ems", {"medical_emergency"}),
        ({"medical": True, "phone_engaged": True}, 1, "le_ems", {"medical_emergency"}),
        ({"police_on_scene": True}, 2, "co_response", {"police_on_scene"}),
        ({"children_present": True, "phone_engaged": True}, 2, "community", {"children_present"}),
        ({"intoxication": True, "phone_engaged": True}, 3, "community", {"intoxication"}),
        ({"person_is_minor": True}, 3, "community", {"minor"}),
        ({"person_is_minor": True, "phone_engaged": True}, 4, "phone", {"phone_engaged"}),
        ({"si_behavior": True, "weapons": True}, 1, "co_response", {"suicide_high_risk", "weapons"}),
    ],
)
def test_screen_gives_priority_and_tier(screen, priority, tier, must_fire):
    outcome = evaluate(screen)
    assert (outcome.priority, outcome.tier) == (priority, tier)
    assert must_fire <= set(outcome.rules_fired)


def test_every_rule_can_fire():
    fired = set()
    for name in SCREEN_FIELDS:
        fired |= set(evaluate({name: True}).rules_fired)
    fired |= set(evaluate({"si_intent": True, "si_plan": True}).rules_fired)
    fired |= set(evaluate({"weapons": True, "violence": True}).rules_fired)
    assert fired == {rule.code for rule in RULES}


def test_unknown_keys_are_ignored_and_missing_keys_are_false():
    assert evaluate({"nonsense": True}) == evaluate({})
