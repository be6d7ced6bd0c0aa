"""dispatch/reoffer.py: the re-offer policy as tables (pure: no database)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from dispatch import reoffer
from dispatch.reoffer import DECLINED, LAPSED, RECALLED, Refusal
from dispatch.routing import Candidate

NOW = timezone.make_aware(datetime(2026, 11, 27, 14, 0, 0))
COOLDOWN = 120


def refusal(kind: str, seconds_ago: float, team_id: int = 1) -> Refusal:
    return Refusal(team_id=team_id, kind=kind, at=NOW - timedelta(seconds=seconds_ago))


# kind, seconds since the refusal, last resort (no other eligible team free) -> still excluded?
EXCLUSION = [
    (DECLINED, 10, False, True),
    (DECLINED, 10, True, True),  # a decline sits out the whole cool-down even when nobody else is free
    (DECLINED, 119, True, True),
    (DECLINED, 120, False, False),  # cool-down over: asked again
    (DECLINED, 3600, False, False),
    (LAPSED, 10, False, True),  # others first...
    (LAPSED, 10, True, False),  # ...but with nobody else free, a lapsed team is asked again at once
    (LAPSED, 120, False, False),
    (RECALLED, 10, False, True),
    (RECALLED, 10, True, True),  # the dispatcher took the team off: not put back behind their back
    (RECALLED, 121, False, False),
]


@pytest.mark.parametrize(("kind", "ago", "last_resort", "excluded"), EXCLUSION)
def test_a_refusal_excludes_the_team_only_during_its_cooldown(kind, ago, last_resort, excluded):
    reason = reoffer.exclusion(refusal(kind, ago), now=NOW, cooldown_seconds=COOLDOWN, last_resort=last_resort)
    assert (reason is not None) is excluded


def test_no_refusal_no_exclusion():
    assert reoffer.exclusion(None, now=NOW, cooldown_seconds=COOLDOWN, last_resort=False) is None


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (DECLINED, "Declined this call: cool-down until "),
        (LAPSED, "Let this call's offer lapse: cool-down until "),
        (RECALLED, "Withdrawn from this call by dispatch: cool-down until "),
    ],
)
def test_the_exclusion_says_until_when_in_local_time(kind, expected):
    r = refusal(kind, 30)
    until = timezone.localtime(r.at + timedelta(seconds=COOLDOWN)).strftime("%H:%M")
    assert reoffer.exclusion(r, now=NOW, cooldown_seconds=COOLDOWN, last_resort=False) == expected + until


def test_a_zero_cooldown_excludes_nobody():
    assert reoffer.exclusion(refusal(DECLINED, 0), now=NOW, cooldown_seconds=0, last_resort=False) is None


def test_exclusions_lift_the_cooldown_only_for_the_last_resort_team():
    refusals = {1: refusal(LAPSED, 10, 1), 2: refusal(LAPSED, 20, 2), 3: refusal(DECLINED, 5, 3)}
    assert set(reoffer.exclusions(refusals, now=NOW, cooldown_seconds=COOLDOWN)) == {1, 2, 3}
    lifted = reoffer.exclusions(refusals, now=NOW, cooldown_seconds=COOLDOWN, last_resort_for=frozenset({2, 3}))
    assert set(lifted) == {1, 3}


def test_the_last_resort_asks_the_longest_lapsed_team_first_and_never_a_decliner():
    refusals = {
        1: refusal(LAPSED, 10, 1),
        2: refusal(LAPSED, 50, 2),
        3: refusal(DECLINED, 90, 3),
        4: refusal(LAPSED, 500, 4),  # cool-down over: an ordinary candidate again
        5: refusal(RECALLED, 60, 5),
    }
    assert reoffer.last_resort_order(refusals, now=NOW, cooldown_seconds=COOLDOWN) == [2, 1]


# refusal kinds in this wait, already escalated -> escalate now?
ESCALATION = [
    ([LAPSED, LAPSED], False, False),
    ([LAPSED, LAPSED, LAPSED], False, True),
    ([DECLINED, LAPSED, DECLINED], False, True),  # declines count as refusals too
    ([LAPSED, RECALLED, LAPSED], False, False),  # the desk's own withdrawals do not
    ([LAPSED, LAPSED, LAPSED, LAPSED], True, False),  # once per wait
]


@pytest.mark.parametrize(("kinds", "already", "escalate"), ESCALATION)
def test_escalation_after_the_threshold_once(kinds, already, escalate):
    assert reoffer.should_escalate(kinds, threshold=3, already_escalated=already) is escalate


def cand(team_id, *, eligible=False, free=True, reasons=()):
    return Candidate(
        team_id=team_id, team_name=f"T{team_id}", eligible=eligible, available_now=free, reasons=list(reasons)
    )


def hhmm(seconds_from_now: float) -> str:
    return timezone.localtime(NOW + timedelta(seconds=seconds_from_now)).strftime("%H:%M")


WAITING = [
    ([], {}, frozenset(), "No team on shift in this region"),
    (
        [
            cand(1, reasons=["Declined this call: cool-down until x"]),
            cand(2, reasons=["Declined this call: cool-down until x", "Team is out of service"]),
            cand(3, reasons=["Needs a licensed clinician"]),
            cand(4, reasons=["Needs a licensed clinician", "Needs a Spanish speaker"]),
            cand(5, reasons=["Needs a licensed clinician"]),
        ],
        {1: refusal(DECLINED, 100, 1), 2: refusal(DECLINED, 30, 2)},
        frozenset(),
        f"No eligible team free: 2 declined (cool-down until {hhmm(20)}), 3 lack a licensed clinician",
    ),
    (
        [
            cand(1, eligible=True, free=False),
            cand(2, eligible=True, free=True),
            cand(3, reasons=["Team has a pending offer"]),
            cand(4, reasons=["Team is out of service"]),
            cand(5, reasons=["Let this call's offer lapse: cool-down until x"]),
        ],
        {5: refusal(LAPSED, 60, 5)},
        frozenset({2}),
        f"No eligible team free: 1 let the offer lapse (cool-down until {hhmm(60)}), "
        "2 offered another call, 1 busy on a call, 1 out of service",
    ),
    (
        [cand(1, reasons=["Program is closed at this hour"])],
        {1: refusal(DECLINED, 500, 1)},  # cool-down long over: not the reason any more
        frozenset(),
        "No eligible team free: 1 program is closed at this hour",
    ),
]


@pytest.mark.parametrize(("candidates", "refusals", "elsewhere", "expected"), WAITING)
def test_the_waiting_reason_counts_why_each_team_is_not_offered(candidates, refusals, elsewhere, expected):
    got = reoffer.waiting_reason(
        candidates, refusals=refusals, now=NOW, cooldown_seconds=COOLDOWN, chosen_elsewhere=elsewhere
    )
    assert got == expected
