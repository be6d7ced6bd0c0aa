"""dispatch/standards.py: the standards table and the pure live clocks."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured

from dispatch.standards import BREACHED, DEFAULT_STANDARDS, MET, NEAR, OK, clocks_for, configured_standards

T0 = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


def call(**kw):
    base = dict(
        tier="",
        area_type="urban",
        received_at=T0,
        rang_at=T0,
        answered_at=None,
        triaged_at=None,
        assigned_at=None,
        arrived_at=None,
        closed_at=None,
        follow_up_completed_at=None,
    )
    return SimpleNamespace(**(base | kw))


def by_key(clocks):
    return {c.key: c for c in clocks}


@pytest.mark.parametrize(
    "seconds, state",
    [(0, OK), (11, OK), (11.25, NEAR), (15, NEAR), (15.5, BREACHED), (600, BREACHED)],
)
def test_answer_clock_runs_from_the_ring_until_answered(seconds, state):
    clocks = by_key(clocks_for(call(), T0 + timedelta(seconds=seconds), DEFAULT_STANDARDS))
    assert set(clocks) == {"answer"}
    assert clocks["answer"].state == state
    assert clocks["answer"].elapsed_seconds == seconds
    assert clocks["answer"].target_at == T0 + timedelta(seconds=15)
    assert not clocks["answer"].stopped


@pytest.mark.parametrize("answer_after, state", [(15, MET), (16, BREACHED)])
def test_answer_clock_stops_at_the_pick_up_not_at_triage(answer_after, state):
    c = call(tier="phone", answered_at=T0 + timedelta(seconds=answer_after), triaged_at=T0 + timedelta(minutes=3))
    clock = by_key(clocks_for(c, T0 + timedelta(hours=5), DEFAULT_STANDARDS))["answer"]
    assert clock.stopped and clock.state == state and clock.elapsed_seconds == answer_after


def test_no_ring_time_no_answer_clock():
    # Without a phone system's ring time the answer is not measured, rather than counted as instant.
    c = call(rang_at=None, answered_at=T0)
    assert "answer" not in by_key(clocks_for(c, T0 + timedelta(seconds=30), DEFAULT_STANDARDS))


def test_dispatch_and_arrival_only_for_field_tiers():
    triaged = T0 + timedelta(seconds=5)
    now = T0 + timedelta(seconds=40)
    assert set(by_key(clocks_for(call(tier="phone", triaged_at=triaged), now, DEFAULT_STANDARDS))) == {"answer"}
    assert set(by_key(clocks_for(call(tier="le_ems", triaged_at=triaged), now, DEFAULT_STANDARDS))) == {"answer"}
    field = by_key(clocks_for(call(tier="community", triaged_at=triaged), now, DEFAULT_STANDARDS))
    assert set(field) == {"answer", "dispatch", "arrival"}
    assert field["dispatch"].elapsed_seconds == 35 and field["dispatch"].state == OK
    assert field["arrival"].elapsed_seconds == 40


@pytest.mark.parametrize(
    "area, minutes, state",
    [
        ("urban", 44, OK),
        ("urban", 46, NEAR),
        ("urban", 61, BREACHED),
        ("rural", 61, OK),
        ("rural", 91, NEAR),
        ("rural", 121, BREACHED),
    ],
)
def test_arrival_target_by_area(area, minutes, state):
    c = call(tier="co_response", area_type=area, triaged_at=T0, assigned_at=T0 + timedelta(seconds=30))
    clock = by_key(clocks_for(c, T0 + timedelta(minutes=minutes), DEFAULT_STANDARDS))["arrival"]
    assert clock.state == state
    assert clock.target_seconds == (3600 if area == "urban" else 7200)


def test_closed_call_that_never_arrived_has_no_arrival_clock():
    c = call(tier="community", triaged_at=T0, assigned_at=T0, closed_at=T0 + timedelta(minutes=10))
    clocks = by_key(clocks_for(c, T0 + timedelta(hours=3), DEFAULT_STANDARDS))
    assert "arrival" not in clocks
    assert clocks["dispatch"].state == MET


@pytest.mark.parametrize(
    "completed_after_h, now_after_h, state",
    [(None, 10, OK), (None, 60, NEAR), (None, 73, BREACHED), (24, 100, MET), (80, 100, BREACHED)],
)
def test_follow_up_clock(completed_after_h, now_after_h, state):
    arrived = T0 + timedelta(minutes=20)
    done = arrived + timedelta(hours=completed_after_h) if completed_after_h is not None else None
    c = call(
        tier="community",
        triaged_at=T0,
        assigned_at=T0,
        arrived_at=arrived,
        closed_at=arrived + timedelta(hours=1),
        follow_up_completed_at=done,
    )
    clock = by_key(clocks_for(c, arrived + timedelta(hours=now_after_h), DEFAULT_STANDARDS))["follow_up"]
    assert clock.state == state


def test_as_dict_is_json_ready():
    d = clocks_for(call(), T0 + timedelta(seconds=3), DEFAULT_STANDARDS)[0].as_dict()
    assert d["key"] == "answer" and d["state"] == OK and d["started_at"] == T0.isoformat()


def test_overrides_change_targets_and_goals():
    stds = {s.key: s for s in configured_standards({"answer": {"target_seconds": 20, "goal": 0.95}})}
    assert stds["answer"].target_for("urban") == 20 and stds["answer"].goal == 0.95
    assert stds["arrival"].target_for("rural") == 7200
    clock = by_key(clocks_for(call(), T0 + timedelta(seconds=16), tuple(stds.values())))["answer"]
    assert clock.state == NEAR


def test_settings_override(settings):
    settings.CRISIS_STANDARDS = {"arrival": {"target_seconds": {"urban": 1800, "rural": 3600, "default": 1800}}}
    stds = {s.key: s for s in configured_standards()}
    assert stds["arrival"].target_for("urban") == 1800
    c = call(tier="community", triaged_at=T0)
    assert by_key(clocks_for(c, T0 + timedelta(minutes=31)))["arrival"].state == BREACHED


@pytest.mark.parametrize("bad", [{"nope": {"goal": 0.5}}, {"answer": {"start": "closed_at"}}])
def test_bad_overrides_fail_loudly(bad):
    with pytest.raises(ImproperlyConfigured):
        configured_standards(bad)
