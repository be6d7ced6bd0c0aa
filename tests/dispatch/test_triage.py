"""The triage table, row by row (dispatch/triage.py)."""

import pytest

from crisis.models import Person
from dispatch.triage import HISTORY_RULES, OPEN_QUESTIONS, RULES, SCREEN_FIELDS, evaluate, history_of, is_from_history

# One row per rule: a screen that fires it, and the priority and tier that screen gives.
PER_RULE = {
    "assault_in_progress": ({"assault_in_progress": True}, 1, "le_ems"),
    "armed_and_violent": ({"weapons": True, "violence": True}, 1, "le_ems"),
    "medical_emergency": ({"medical": True}, 1, "le_ems"),
    "overdose_risk": ({"overdose_risk": True, "phone_engaged": True}, 1, "le_ems"),
    "imminent_with_means": ({"imminent_danger": True, "lethal_means": True}, 1, "co_response"),
    "imminent_danger": ({"imminent_danger": True, "phone_engaged": True}, 1, "community"),
    "weapons": ({"weapons": True}, 1, "co_response"),
    "violence": ({"violence": True}, 1, "co_response"),
    "suicide_high_risk": ({"si_behavior": True, "phone_engaged": True}, 1, "community"),
    "suicide_with_means": ({"si_thoughts": True, "lethal_means": True, "phone_engaged": True}, 1, "community"),
    "suicide_moderate_risk": ({"si_thoughts": True, "si_method": True, "phone_engaged": True}, 2, "community"),
    "suicide_ideation": ({"si_wish_dead": True, "phone_engaged": True}, 3, "phone"),
    "lethal_means": ({"lethal_means": True, "phone_engaged": True}, 2, "community"),
    "self_harm": ({"self_harm": True, "phone_engaged": True}, 2, "community"),
    "psychosis": ({"psychosis": True, "phone_engaged": True}, 2, "community"),
    "agitation": ({"agitation": True}, 2, "co_response"),
    "police_on_scene": ({"police_on_scene": True}, 2, "co_response"),
    "children_present": ({"children_present": True, "phone_engaged": True}, 2, "community"),
    "unreachable": ({"caller_relation": "family", "person_reachable": False}, 2, "community"),
    "history_weapons": ({"hx_weapons_access": True, "phone_engaged": True}, 2, "phone"),
    "history_violence": ({"hx_violence": True, "phone_engaged": True}, 3, "phone"),
    "intoxication": ({"intoxication": True, "phone_engaged": True}, 3, "community"),
    "medical_need": ({"medical_need": True, "phone_engaged": True}, 3, "community"),
    "minor": ({"person_is_minor": True}, 3, "community"),
    "needs_in_person": ({}, 3, "community"),
    "phone_engaged": ({"phone_engaged": True}, 4, "phone"),
    "protective_factors": ({"protective_factors": True, "phone_engaged": True}, 4, "phone"),
}


def test_every_rule_has_its_row_here():
    assert set(PER_RULE) == {rule.code for rule in RULES}


@pytest.mark.parametrize("code", list(PER_RULE))
def test_each_rule_fires_and_gives_its_priority_and_tier(code):
    screen, priority, tier = PER_RULE[code]
    outcome = evaluate(screen)
    assert code in outcome.rules_fired
    assert (outcome.priority, outcome.tier) == (priority, tier)


@pytest.mark.parametrize(
    "screen, priority, tier, must_fire",
    [
        ({"si_thoughts": True}, 3, "community", {"suicide_ideation", "needs_in_person"}),
        ({"si_intent": True, "si_plan": True}, 1, "community", {"suicide_high_risk"}),
        ({"medical": True, "phone_engaged": True}, 1, "le_ems", {"medical_emergency"}),
        ({"person_is_minor": True, "phone_engaged": True}, 4, "phone", {"phone_engaged"}),
        ({"si_behavior": True, "weapons": True}, 1, "co_response", {"suicide_high_risk", "weapons"}),
        # A suicidal person whose record says they can get a weapon: high risk from history.
        ({"si_thoughts": True, "hx_weapons_access": True, "phone_engaged": True}, 1, "community",
         {"suicide_with_means", "history_weapons"}),
        ({"assault_in_progress": True, "weapons": True}, 1, "le_ems", {"assault_in_progress", "weapons"}),
        # The age decides "minor": 15 is a minor without the box ticked, 40 is not.
        ({"age": 15}, 3, "community", {"minor"}),
        ({"age": 40, "phone_engaged": True}, 4, "phone", {"phone_engaged"}),
        # The caller is the person: "cannot be reached" does not apply.
        ({"caller_relation": "self", "person_reachable": False, "phone_engaged": True}, 4, "phone", {"phone_engaged"}),
    ],
)  # fmt: skip
def test_combinations(screen, priority, tier, must_fire):
    outcome = evaluate(screen)
    assert (outcome.priority, outcome.tier) == (priority, tier)
    assert must_fire <= set(outcome.rules_fired)


@pytest.mark.parametrize("name", OPEN_QUESTIONS)
def test_an_open_question_not_asked_or_answered_no_fires_nothing_of_its_own(name):
    base = evaluate({"phone_engaged": True})
    assert evaluate({name: None, "phone_engaged": True}) == base
    if name != "person_reachable":
        assert evaluate({name: False, "phone_engaged": True}) == base


def test_unreachable_needs_an_explicit_no_not_an_unasked_question():
    assert "unreachable" not in evaluate({"caller_relation": "bystander", "person_reachable": None}).rules_fired
    assert "unreachable" in evaluate({"caller_relation": "bystander", "person_reachable": False}).rules_fired


def test_every_yes_no_item_alone_fires_something_beyond_the_baseline_or_is_baseline():
    for name in SCREEN_FIELDS:
        assert evaluate({name: True}).rules_fired


def test_history_rules_are_named_from_history():
    assert HISTORY_RULES == {"history_weapons", "history_violence"}
    assert is_from_history("history_weapons") and not is_from_history("weapons")


def test_history_of_a_person():
    marcus = Person(first_name="M", last_name="H", known_weapons_access=True, history_of_violence=False)
    assert history_of(marcus) == {"hx_weapons_access": True, "hx_violence": False}
    assert history_of(None) == {"hx_weapons_access": False, "hx_violence": False}


def test_unknown_keys_are_ignored_and_missing_keys_are_false():
    assert evaluate({"nonsense": True}) == evaluate({})
