"""The one realtime door (crisis/realtime.py): after commit, numbered per group, role-based groups."""

from __future__ import annotations

import pytest
from django.db import transaction

from crisis import permissions
from crisis import realtime as events

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    out = []
    monkeypatch.setattr(events, "_send_now", lambda messages: out.extend(m for _, m in messages))
    return out


def test_nothing_is_sent_for_a_rolled_back_transaction(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish("call.created", {}, groups=["dispatch.central"])
            raise RuntimeError
    assert callbacks == [] and sent == []


def test_each_group_has_its_own_gapless_sequence(sent, django_capture_on_commit_callbacks):
    start = events.current_seqs(["dispatch.central", "dispatch.north"])
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("a", {}, groups=["dispatch.central", "dispatch.north"])
        events.publish("b", {}, groups=["dispatch.central"])
        events.publish("c", {}, groups=["dispatch.central", "dispatch.central"])
    central = [m["seq"] - start["dispatch.central"] for m in sent if m["group"] == "dispatch.central"]
    north = [m["seq"] - start["dispatch.north"] for m in sent if m["group"] == "dispatch.north"]
    assert (central, north) == ([1, 2, 3], [1])
    assert events.current_seqs(["dispatch.central"])["dispatch.central"] == start["dispatch.central"] + 3


@pytest.mark.parametrize(
    "persona, groups",
    [
        ("dana", ["dispatch.central"]),
        ("cam", ["dispatch.central"]),
        ("sue", ["supervisors"]),
        ("ada", ["supervisors"]),
        ("rita", ["team.{team_a}"]),
        ("oli", None),
        ("nora", None),
    ],
)
def test_groups_by_role(persona, groups, request, team_a):
    user = request.getfixturevalue(persona)
    got = permissions.stream_groups_for(user)
    if groups is None:
        assert got is None
    else:
        assert events.stream_groups(got) == [g.format(team_a=team_a.pk) for g in groups]
        assert f"user.{user.pk}" in got


def test_a_responder_without_an_active_membership_hears_nothing(rita):
    rita.membership.active = False
    rita.membership.save()
    assert permissions.stream_groups_for(rita) is None


def test_every_event_and_the_snapshot_position_carry_the_same_epoch(sent, django_capture_on_commit_callbacks):
    epoch, seqs = events.current_position(["dispatch.central"])
    assert epoch
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("a", {}, groups=["dispatch.central"])
    assert [(m["epoch"], m["seq"]) for m in sent] == [(epoch, seqs["dispatch.central"] + 1)]


@pytest.mark.redis
def test_a_counter_store_that_lost_its_data_gets_a_new_epoch(settings, sent, django_capture_on_commit_callbacks):
    # What a Redis restart without persistence does to our keys: numbers start again at 1.
    import uuid

    settings.CHANNEL_LAYERS = {"default": settings.CHANNEL_LAYERS["default"] | {"CONFIG": {"prefix": uuid.uuid4().hex}}}
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("a", {}, groups=["dispatch.central"])
        events.publish("b", {}, groups=["dispatch.central"])
    before = events.current_position(["dispatch.central"])
    client = events._redis_client()
    client.delete(events._epoch_key(), events._seq_key("dispatch.central"))
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("c", {}, groups=["dispatch.central"])
    assert [m["seq"] for m in sent] == [1, 2, 1]
    assert sent[0]["epoch"] == sent[1]["epoch"] == before[0] != sent[2]["epoch"]
    assert events.current_position(["dispatch.central"]) == (sent[2]["epoch"], {"dispatch.central": 1})
    client.delete(events._epoch_key(), events._seq_key("dispatch.central"))


def test_a_transactions_events_are_numbered_in_one_round_trip_and_sent_in_order(
    sent, monkeypatch, django_capture_on_commit_callbacks
):
    reserved = []
    real = events.reserve_positions
    monkeypatch.setattr(events, "reserve_positions", lambda counts: reserved.append(dict(counts)) or real(counts))
    start = events.current_seqs(["dispatch.central", "supervisors"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish("a", {}, groups=["dispatch.central", "supervisors"])
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish("lost", {}, groups=["dispatch.central"])  # its savepoint rolls back
            raise RuntimeError
        events.publish("b", {}, groups=["dispatch.central"])
        with transaction.atomic():
            events.publish("c", {}, groups=["supervisors"])
    assert reserved == [{"dispatch.central": 2, "supervisors": 2}]
    got = [(m["kind"], m["group"], m["seq"] - start[m["group"]]) for m in sent]
    assert got == [
        ("a", "dispatch.central", 1),
        ("a", "supervisors", 1),
        ("b", "dispatch.central", 2),
        ("c", "supervisors", 2),
    ]


def test_a_batch_lost_with_its_transaction_does_not_swallow_the_next(sent, django_capture_on_commit_callbacks):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("lost", {}, groups=["dispatch.central"])
        raise RuntimeError
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish("kept", {}, groups=["dispatch.central"])
    assert [m["kind"] for m in sent] == ["kept"]
