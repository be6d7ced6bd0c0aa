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
    monkeypatch.setattr(events, "_send_now", lambda messages: out.extend(messages.values()))
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
