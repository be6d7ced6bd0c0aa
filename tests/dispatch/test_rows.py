"""dispatch/rows.py: each event row has one schema, and carries the actions the server allows."""

from __future__ import annotations

import pytest

from dispatch import rows
from dispatch.models import Call, Status
from responders.models import TeamStatus
from tests.factories import CallFactory, TeamFactory

pytestmark = pytest.mark.django_db

CALL_ROW_KEYS = {
    "id",
    "status",
    "priority",
    "tier",
    "call_type",
    "nature",
    "address",
    "latitude",
    "longitude",
    "received_at",
    "awaiting_since",
    "team_id",
    "recommended_team_id",
    "unrouted_flagged_at",
    "escalated_at",
    "handoff_pending",
    "handoff_since",
    "units",
    "interpreter_line",
    "waiting_reason",
    "waiting_since",
    "version",
    "standards",
    "assignment",
    "actions",
}
TEAM_ROW_KEYS = {
    "id",
    "name",
    "status",
    "status_changed_at",
    "latitude",
    "longitude",
    "location_reported_at",
    "version",
    "actions",
}

# status -> (triage, assign, resolve_by_phone, cancel, close, advance, clear)
ACTIONS = {
    Status.RECEIVED: (True, False, False, True, False, [], False),
    Status.TRIAGED: (True, True, True, True, True, [], False),
    Status.AWAITING_TEAM: (True, True, True, True, True, [], False),
    Status.ASSIGNED: (False, True, False, True, False, ["en_route", "on_scene"], False),
    Status.EN_ROUTE: (False, True, False, True, False, ["on_scene"], False),
    Status.ON_SCENE: (False, False, False, False, True, ["transporting"], True),
    Status.TRANSPORTING: (False, False, False, False, True, [], True),
    Status.RESOLVED_BY_PHONE: (False, False, False, False, True, [], False),
    Status.CLOSED: (False, False, False, False, False, [], False),
    Status.CANCELLED: (False, False, False, False, False, [], False),
}
ORDER = ("triage", "assign", "resolve_by_phone", "cancel", "close", "advance", "clear")


@pytest.mark.parametrize("call_type", ["mental_health", "suicidal", "welfare_check", "homelessness"])
def test_the_call_row_has_exactly_its_schema(dana, call_type):
    assert set(rows.call_summary(CallFactory(by=dana, call_type=call_type))) == CALL_ROW_KEYS


@pytest.mark.parametrize("status", list(ACTIONS))
def test_call_actions_follow_the_lifecycle_table(dana, status):
    call = CallFactory(by=dana)
    Call.objects.filter(pk=call.pk).update(status=status)
    call.refresh_from_db()
    actions = rows.call_actions(call)
    assert tuple(actions[k] for k in ORDER) == ACTIONS[status]
    assert actions["withdraw"] is False  # no offer or team to withdraw


# status -> may the desk withdraw the offer / pull the team back (it holds one)?
WITHDRAW = {
    Status.AWAITING_TEAM: True,
    Status.ASSIGNED: True,
    Status.EN_ROUTE: True,
    Status.ON_SCENE: False,
    Status.TRANSPORTING: False,
}


@pytest.mark.parametrize("status", list(WITHDRAW))
def test_withdraw_is_allowed_before_on_scene_while_a_team_holds_the_call(dana, status):
    from dispatch.models import Assignment

    call = CallFactory(by=dana)
    team = TeamFactory()
    Call.objects.filter(pk=call.pk).update(status=status, team=team)
    Assignment.objects.create(call=call, team=team, status="offered" if status == Status.AWAITING_TEAM else "accepted")
    call.refresh_from_db()
    assert rows.call_actions(call)["withdraw"] is WITHDRAW[status]
    assert rows.call_summary(call)["actions"]["withdraw"] is WITHDRAW[status]


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (TeamStatus.OFF_SHIFT, ["available"]),
        (TeamStatus.AVAILABLE, ["off_shift", "out_of_service"]),
        (TeamStatus.OUT_OF_SERVICE, ["available", "off_shift"]),
        (TeamStatus.ASSIGNED, []),
        (TeamStatus.OFFERED, []),
    ],
)
def test_the_team_row_carries_the_shift_changes_it_may_make(status, actions):
    row = rows.team_summary(TeamFactory(status=status))
    assert set(row) == TEAM_ROW_KEYS
    assert row["actions"] == actions
