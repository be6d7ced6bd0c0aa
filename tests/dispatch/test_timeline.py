"""Statements per state change on the hot path (dispatch/timeline.py and its callers): each count is the
floor the write needs, so a re-select, a second version bump or a needless lookup turns these red."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from crisis import realtime
from dispatch import services
from dispatch.models import Call, CallEvent, Status
from responders.models import Team, TeamStatus
from tests.conftest import CALL_DEFAULTS

pytestmark = pytest.mark.django_db

FIELD_SCREEN = {"phone_engaged": False}


def statements(ctx) -> list[str]:
    """The SQL a block sent, without the savepoints of the test's own transaction."""
    return [q["sql"].split()[0].upper() for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()]


def test_a_new_call_is_two_inserts(dana, sent_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
        call = services.call_create(by=dana, **CALL_DEFAULTS)
    # The call (born at version 1) and its timeline row: no version UPDATE, no re-SELECT, no offer lookup.
    # The webhook outbox looks up subscribed partner endpoints in the same transaction (integrations/webhooks.py).
    # First, the phone system's unclaimed report for this callback number (dispatch/telephony.py): one indexed SELECT.
    assert statements(ctx) == ["SELECT", "INSERT", "INSERT", "SELECT"]
    assert Call.objects.get(pk=call.pk).version == 1
    assert [(e["group"], e["kind"]) for e in sent_events] == [
        ("dispatch.central", "call.created"),
        ("supervisors", "call.created"),
    ]
    assert sent_events[0]["data"]["call"]["version"] == 1 and sent_events[0]["data"]["call"]["assignment"] is None


def test_triage_to_awaiting_a_team_is_one_lock_one_write_and_an_event_row_per_transition(
    dana, sent_events, django_capture_on_commit_callbacks, monkeypatch
):
    from dispatch import jobs

    monkeypatch.setattr(jobs, "enqueue_routing", lambda **kw: None)  # routing is the worker's, counted apart
    call = services.call_create(by=dana, **CALL_DEFAULTS)
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
        services.call_triage(call=call, screen=FIELD_SCREEN, by=dana)
    # SELECT ... FOR UPDATE; the screen; triaged and awaiting a team: one event row each and one UPDATE ...
    # RETURNING version for both (timeline.transition's `then`). A received call has no offer to withdraw and no
    # assignment to look up. The webhook outbox asks which partner endpoints subscribe once for the triage's two
    # status changes (crisis.outbound.batch), at the first.
    assert statements(ctx) == ["SELECT", "INSERT", "INSERT", "SELECT", "UPDATE", "INSERT"]
    call.refresh_from_db()
    assert (call.status, call.version) == (Status.AWAITING_TEAM, 3)
    # Each row went out as the call was at its step, numbered in order, the last number the stored one.
    board = [e["data"]["call"] for e in sent_events if e["group"] == "dispatch.central"]
    assert [(c["status"], c["version"]) for c in board] == [("triaged", 2), ("awaiting_team", 3)]
    events = list(CallEvent.objects.filter(call=call).order_by("id"))
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        ("call.created", "", "received"),
        ("call.triaged", "received", "triaged"),
        ("call.awaiting_team", "triaged", "awaiting_team"),
    ]
    assert call.status_changed_at == call.awaiting_since and call.triaged_at is not None


def test_a_transition_refused_at_a_later_step_writes_nothing(dana, sent_events):
    from crisis.errors import InvalidTransition
    from dispatch.timeline import lock_call, transition

    call = services.call_create(by=dana, **CALL_DEFAULTS)
    with pytest.raises(InvalidTransition, match="triaged cannot become on scene"):
        with transaction.atomic():
            then = ((Status.ON_SCENE, "call.on_scene"),)
            transition(lock_call(call), Status.TRIAGED, by=dana, kind="call.triaged", then=then)
    stored = Call.objects.get(pk=call.pk)
    assert (stored.status, stored.version) == (Status.RECEIVED, 1)
    assert list(stored.events.values_list("kind", flat=True)) == ["call.created"]


def test_an_event_writes_its_callers_changes_with_the_version_bump(dana, django_capture_on_commit_callbacks):
    from dispatch.timeline import record_event

    call = Call.objects.get(pk=services.call_create(by=dana, **CALL_DEFAULTS).pk)
    call.narrative = "Caller says he has not slept for days"
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
        record_event(call, "call.note", by=dana, unsaved=["narrative"], text="More from the caller")
    assert statements(ctx) == ["UPDATE", "INSERT"]
    stored = Call.objects.get(pk=call.pk)
    assert (stored.narrative, stored.version) == ("Caller says he has not slept for days", 2)
    with pytest.raises(ValueError, match="wrote its own changes"):
        record_event(call, "call.note", by=dana, bumped=True, unsaved=["narrative"], text="Twice")


def test_a_note_bumps_the_version_in_one_statement(dana, sent_events, django_capture_on_commit_callbacks):
    call = Call.objects.get(pk=services.call_create(by=dana, **CALL_DEFAULTS).pk)
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
        services.call_add_note(call=call, by=dana, text="Caller called back")
    # UPDATE ... RETURNING version (no re-SELECT) and the event; a received call has no offer to look up.
    assert statements(ctx) == ["UPDATE", "INSERT"]
    assert sent_events[-1]["data"]["call"]["version"] == Call.objects.get(pk=call.pk).version == 2


def test_a_team_claim_is_one_conditional_update_returning_the_row(team_a, django_capture_on_commit_callbacks):
    from dispatch.team_state import claim_team

    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
        assert claim_team(team_a, from_statuses=(TeamStatus.AVAILABLE,), to=TeamStatus.OFFERED, by=None, call_id=1)
    assert statements(ctx) == ["UPDATE", "INSERT"]  # the claim (RETURNING the row), its audit entry
    stored = Team.objects.get(pk=team_a.pk)
    assert (team_a.status, team_a.version, team_a.status_changed_at) == (
        stored.status,
        stored.version,
        stored.status_changed_at,
    )
    # The loser of a race learns it from the same single statement.
    with CaptureQueriesContext(connection) as ctx:
        assert not claim_team(team_a, from_statuses=(TeamStatus.AVAILABLE,), to=TeamStatus.OFFERED, by=None, call_id=1)
    assert statements(ctx) == ["UPDATE"]


def test_a_transition_writes_every_field_its_caller_set(dana, team_a, django_capture_on_commit_callbacks):
    """The single UPDATE of a transition carries the fields set before it (team, times, disposition)."""
    call = services.call_create(by=dana, **CALL_DEFAULTS)
    services.call_triage(call=call, screen=FIELD_SCREEN, by=dana)
    services.call_assign(call=Call.objects.get(pk=call.pk), team=team_a, by=dana, reason="Closest")
    stored = Call.objects.get(pk=call.pk)
    assert (stored.status, stored.team_id, stored.program_id) == (Status.ASSIGNED, team_a.pk, team_a.program_id)
    assert stored.assigned_at is not None and stored.address_key == "1200 w lake st"


def test_one_redis_round_trip_numbers_a_whole_transaction(
    dana, sent_events, monkeypatch, django_capture_on_commit_callbacks
):
    from dispatch import jobs

    monkeypatch.setattr(jobs, "enqueue_routing", lambda **kw: None)
    call = services.call_create(by=dana, **CALL_DEFAULTS)
    calls = []
    real = realtime.reserve_positions
    monkeypatch.setattr(realtime, "reserve_positions", lambda counts: calls.append(dict(counts)) or real(counts))
    with django_capture_on_commit_callbacks(execute=True):
        services.call_triage(call=call, screen=FIELD_SCREEN, by=dana)
    # call.triaged and call.awaiting_team, each to the region and the supervisors: one MULTI for both.
    assert calls == [{"dispatch.central": 2, "supervisors": 2}]
    central = [e for e in sent_events if e["group"] == "dispatch.central"][-2:]
    assert [e["kind"] for e in central] == ["call.triaged", "call.awaiting_team"]
    assert central[1]["seq"] == central[0]["seq"] + 1
