"""Triage rules: the risk screen in, a priority (1 = most urgent) and a tier out.

One readable table. Every rule whose condition holds "fires"; the result takes
the most urgent priority and the most police/EMS-involving tier among the
fired rules, and lists them so a supervisor can see why. The suicide-risk
rows follow the Columbia protocol screener: ideation alone is low risk,
method or intent is moderate, intent with a plan or recent behavior is high.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .models import Tier

# From least to most law-enforcement/EMS involvement.
TIER_ORDER = (Tier.PHONE, Tier.COMMUNITY, Tier.CO_RESPONSE, Tier.LE_EMS)

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

Screen = Mapping[str, bool]


@dataclass(frozen=True)
class Rule:
    code: str
    description: str
    when: Callable[[Screen], bool]
    priority: int
    tier: str


# fmt: off
RULES: tuple[Rule, ...] = (
    #    code                     description                                                        when                                                    prio  tier
    Rule("armed_and_violent",     "Weapon and violence or imminent danger to others",                lambda s: s["weapons"] and s["violence"],                  1, Tier.LE_EMS),
    Rule("medical_emergency",     "Medical emergency or overdose: EMS leads",                        lambda s: s["medical"],                                    1, Tier.LE_EMS),
    Rule("weapons",               "Weapon involved or accessible",                                   lambda s: s["weapons"],                                    1, Tier.CO_RESPONSE),
    Rule("violence",              "Violence or imminent danger to others",                           lambda s: s["violence"],                                   1, Tier.CO_RESPONSE),
    Rule("suicide_high_risk",     "Columbia high risk: recent suicidal behavior, or intent and plan", lambda s: s["si_behavior"] or (s["si_intent"] and s["si_plan"]), 1, Tier.COMMUNITY),
    Rule("suicide_moderate_risk", "Columbia moderate risk: suicidal intent or a method in mind",     lambda s: s["si_intent"] or s["si_method"] or s["si_plan"], 2, Tier.COMMUNITY),
    Rule("suicide_ideation",      "Columbia low risk: wish to be dead or suicidal thoughts only",    lambda s: s["si_wish_dead"] or s["si_thoughts"],           3, Tier.PHONE),
    Rule("police_on_scene",       "Police already on scene: respond together",                       lambda s: s["police_on_scene"],                            2, Tier.CO_RESPONSE),
    Rule("children_present",      "Children present",                                                lambda s: s["children_present"],                           2, Tier.COMMUNITY),
    Rule("intoxication",          "Intoxicated: in-person assessment",                               lambda s: s["intoxication"],                               3, Tier.COMMUNITY),
    Rule("minor",                 "The person is a minor: in-person, youth-trained response",        lambda s: s["person_is_minor"] and not s["phone_engaged"], 3, Tier.COMMUNITY),
    Rule("needs_in_person",       "Not safely engaged by phone: send a team",                        lambda s: not s["phone_engaged"],                          3, Tier.COMMUNITY),
    Rule("phone_engaged",         "Engaged and safe by phone: resolve by phone",                     lambda s: s["phone_engaged"],                              4, Tier.PHONE),
)
# fmt: on


@dataclass(frozen=True)
class TriageOutcome:
    priority: int
    tier: str
    rules_fired: tuple[str, ...]


def evaluate(screen: Screen) -> TriageOutcome:
    full = {name: bool(screen.get(name, False)) for name in SCREEN_FIELDS}
    fired = [rule for rule in RULES if rule.when(full)]
    # needs_in_person and phone_engaged are complementary, so at least one fires.
    priority = min(rule.priority for rule in fired)
    tier = max((rule.tier for rule in fired), key=TIER_ORDER.index)
    return TriageOutcome(priority=priority, tier=tier, rules_fired=tuple(rule.code for rule in fired))


def describe(code: str) -> str:
    for rule in RULES:
        if rule.code == code:
            return rule.description
    return code
