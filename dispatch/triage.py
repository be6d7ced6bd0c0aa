"""Triage rules: the risk screen in, a priority (1 = most urgent) and a tier out.

One readable table. Every rule whose condition holds "fires"; the result takes
the most urgent priority and the most police/EMS-involving tier among the
fired rules, and lists them so a supervisor can see why. The suicide-risk
rows follow the Columbia protocol screener: ideation alone is low risk,
method or intent is moderate, intent with a plan or recent behavior is high.
The acute rows carry what a crisis clinician asks first (in danger now,
lethal means, an assault in progress, overdose, psychosis, agitation), and
the person's known history adds rows of its own, named "From history: …".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .models import CallerRelation, Tier

# From least to most law-enforcement/EMS involvement.
TIER_ORDER = (Tier.PHONE, Tier.COMMUNITY, Tier.CO_RESPONSE, Tier.LE_EMS)

# Yes/no questions asked on every call (a checkbox: unticked is "no").
SCREEN_FIELDS = (
    "weapons",
    "violence",
    "medical",
    "si_wish_dead",
    "si_thoughts",
    "si_method",
    "si_intent",
    "si_plan",
    "si_behavior",
    "intoxication",
    "police_on_scene",
    "children_present",
    "phone_engaged",
    "person_is_minor",
)

# Asked when they matter: yes, no, or None = not asked, which is never read as "no" (a rule fires on a yes only,
# and `person_unreachable` only on an explicit no).
OPEN_QUESTIONS = (
    "imminent_danger",
    "lethal_means",
    "assault_in_progress",
    "overdose_risk",
    "self_harm",
    "psychosis",
    "agitation",
    "medical_need",
    "person_reachable",
    "protective_factors",
)

# Facts about the person and the caller: the age in years (None = not known), who is calling ("" = not asked).
FACT_FIELDS = ("age", "caller_relation")

# What the person's record says (Person.known_weapons_access, .history_of_violence), filled in by call_triage.
HISTORY_FIELDS = ("hx_weapons_access", "hx_violence")

ADULT_AGE = 18

Screen = Mapping[str, Any]


@dataclass(frozen=True)
class Rule:
    code: str
    description: str
    when: Callable[[Screen], bool]
    priority: int
    tier: str


# fmt: off
RULES: tuple[Rule, ...] = (
    #    code                     description                                                            when                                                    prio  tier
    Rule("assault_in_progress",   "Violence or assault in progress, armed or not: police lead",          lambda s: s["assault_in_progress"],                        1, Tier.LE_EMS),
    Rule("armed_and_violent",     "Weapon and violence or imminent danger to others",                    lambda s: s["weapons"] and s["violence"],                  1, Tier.LE_EMS),
    Rule("medical_emergency",     "Medical emergency or overdose: EMS leads",                            lambda s: s["medical"],                                    1, Tier.LE_EMS),
    Rule("overdose_risk",         "Overdose risk: EMS leads (no police unless another rule needs them)", lambda s: s["overdose_risk"],                              1, Tier.LE_EMS),
    Rule("imminent_with_means",   "In danger now and at the lethal means: respond with police",          lambda s: s["imminent_danger"] and (s["lethal_means"] or s["weapons"]), 1, Tier.CO_RESPONSE),
    Rule("imminent_danger",       "In danger now: act in progress or at the means: a team at once",      lambda s: s["imminent_danger"],                            1, Tier.COMMUNITY),
    Rule("weapons",               "Weapon involved or accessible",                                       lambda s: s["weapons"],                                    1, Tier.CO_RESPONSE),
    Rule("violence",              "Violence or imminent danger to others",                               lambda s: s["violence"],                                   1, Tier.CO_RESPONSE),
    Rule("suicide_high_risk",     "Columbia high risk: recent suicidal behavior, or intent and plan",    lambda s: s["si_behavior"] or (s["si_intent"] and s["si_plan"]), 1, Tier.COMMUNITY),
    Rule("suicide_with_means",    "Suicidal thoughts and access to lethal means (now or from history)",  lambda s: s["any_si"] and (s["lethal_means"] or s["hx_weapons_access"]), 1, Tier.COMMUNITY),
    Rule("suicide_moderate_risk", "Columbia moderate risk: suicidal intent or a method in mind",         lambda s: s["si_intent"] or s["si_method"] or s["si_plan"], 2, Tier.COMMUNITY),
    Rule("suicide_ideation",      "Columbia low risk: wish to be dead or suicidal thoughts only",        lambda s: s["si_wish_dead"] or s["si_thoughts"],           3, Tier.PHONE),
    Rule("lethal_means",          "Access to lethal means (no threat to others): plan means safety",     lambda s: s["lethal_means"],                               2, Tier.COMMUNITY),
    Rule("self_harm",             "Self-harm without suicidal intent: clinician assesses",               lambda s: s["self_harm"],                                  2, Tier.COMMUNITY),
    Rule("psychosis",             "Psychosis or command hallucinations: clinician on the team",          lambda s: s["psychosis"],                                  2, Tier.COMMUNITY),
    Rule("agitation",             "Severe agitation or barricaded: respond with police",                 lambda s: s["agitation"],                                  2, Tier.CO_RESPONSE),
    Rule("police_on_scene",       "Police already on scene: respond together",                           lambda s: s["police_on_scene"],                            2, Tier.CO_RESPONSE),
    Rule("children_present",      "Children present",                                                    lambda s: s["children_present"],                           2, Tier.COMMUNITY),
    Rule("unreachable",           "Someone else called and the person cannot be reached: send a team",   lambda s: s["third_party"] and s["person_unreachable"],    2, Tier.COMMUNITY),
    Rule("history_weapons",       "From history: known access to weapons",                               lambda s: s["hx_weapons_access"],                          2, Tier.PHONE),
    Rule("history_violence",      "From history: violence in the past",                                  lambda s: s["hx_violence"],                                3, Tier.PHONE),
    Rule("intoxication",          "Intoxicated: in-person assessment",                                   lambda s: s["intoxication"],                               3, Tier.COMMUNITY),
    Rule("medical_need",          "Medical need, not an emergency: a medical credential on the team",    lambda s: s["medical_need"],                               3, Tier.COMMUNITY),
    Rule("minor",                 "The person is a minor: in-person, youth-trained response",            lambda s: s["person_is_minor"] and not s["phone_engaged"], 3, Tier.COMMUNITY),
    Rule("needs_in_person",       "Not safely engaged by phone: send a team",                            lambda s: not s["phone_engaged"],                          3, Tier.COMMUNITY),
    Rule("phone_engaged",         "Engaged and safe by phone: resolve by phone",                         lambda s: s["phone_engaged"],                              4, Tier.PHONE),
    Rule("protective_factors",    "Protective factors noted (support, reasons for living, in care)",     lambda s: s["protective_factors"],                         4, Tier.PHONE),
)
# fmt: on


@dataclass(frozen=True)
class TriageOutcome:
    priority: int
    tier: str
    rules_fired: tuple[str, ...]


def facts(screen: Screen) -> dict[str, Any]:
    """What the rules read: yes/no answers as booleans, an unasked question as not-yes, and the derived facts."""
    full: dict[str, Any] = {name: bool(screen.get(name, False)) for name in SCREEN_FIELDS + HISTORY_FIELDS}
    full |= {name: screen.get(name) is True for name in OPEN_QUESTIONS}
    age = screen.get("age")
    # A stated age decides; "minor" ticked without an age still counts (the caller may know no more).
    full["person_is_minor"] = full["person_is_minor"] or (age is not None and age < ADULT_AGE)
    full["person_unreachable"] = screen.get("person_reachable") is False
    full["third_party"] = screen.get("caller_relation") not in (None, "", CallerRelation.SELF)
    full["any_si"] = any(full[name] for name in SUICIDE_FIELDS)
    return full


SUICIDE_FIELDS = ("si_wish_dead", "si_thoughts", "si_method", "si_intent", "si_plan", "si_behavior")


def evaluate(screen: Screen) -> TriageOutcome:
    full = facts(screen)
    fired = [rule for rule in RULES if rule.when(full)]
    # needs_in_person and phone_engaged are complementary, so at least one fires.
    priority = min(rule.priority for rule in fired)
    tier = max((rule.tier for rule in fired), key=TIER_ORDER.index)
    return TriageOutcome(priority=priority, tier=tier, rules_fired=tuple(rule.code for rule in fired))


def history_of(person) -> dict[str, bool]:
    """The screen facts the person's record adds (none for an unknown person)."""
    if person is None:
        return {name: False for name in HISTORY_FIELDS}
    return {"hx_weapons_access": person.known_weapons_access, "hx_violence": person.history_of_violence}


def describe(code: str) -> str:
    for rule in RULES:
        if rule.code == code:
            return rule.description
    return code


def is_from_history(code: str) -> bool:
    """A rule that only the person's record can fire (its description says "From history: …")."""
    return code in HISTORY_RULES


HISTORY_RULES = frozenset(rule.code for rule in RULES if rule.description.startswith("From history:"))
