"""Event rows: the one function that builds each kind of row a live screen shows.

An event and a REST snapshot describe a call, a team, an offer or an alert
with the same row, so a client can upsert either idempotently and a client
and a snapshot can never disagree about a field (tests/dispatch/test_rows.py
checks each row against its schema).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from crisis import languages
from responders.models import MANUAL_TRANSITIONS, SosAlert, Team

from . import standards
from .models import (
    ACTIVE_ASSIGNMENT,
    ASSIGNABLE,
    CLEARABLE,
    FIELD_STATUSES,
    TRANSITIONS,
    TRIAGEABLE,
    WITHDRAWABLE,
    Assignment,
    AssignmentStatus,
    Call,
    Status,
)

# "Not known yet: look it up", as distinct from None ("known: there is none").
UNKNOWN: Any = object()


def call_summary(call: Call, *, assignment: dict[str, Any] | None = UNKNOWN) -> dict[str, Any]:
    """What a live board needs to redraw one call row (`assignment`: the active row, when the caller has it)."""
    if assignment is UNKNOWN:
        assignment = active_assignment_row(call)
    return {
        "id": call.pk,
        "status": call.status,
        "priority": call.priority,
        "tier": call.tier,
        "call_type": call.call_type,
        "nature": call.nature,
        "address": call.address,
        "latitude": call.latitude,
        "longitude": call.longitude,
        "received_at": call.received_at.isoformat(),
        "awaiting_since": call.awaiting_since.isoformat() if call.awaiting_since else None,
        "team_id": call.team_id,
        "recommended_team_id": call.recommended_team_id,
        "unrouted_flagged_at": call.unrouted_flagged_at.isoformat() if call.unrouted_flagged_at else None,
        "escalated_at": call.escalated_at.isoformat() if call.escalated_at else None,
        # Partner agencies still to take this police/EMS-led call; the board's clock runs from triage.
        "handoff_pending": [a for a in call.handoff_pending.split(",") if a],
        "handoff_since": call.triaged_at.isoformat() if call.handoff_pending and call.triaged_at else None,
        # Police/EMS units on the call besides the crisis team, each with its own status (dispatch/units.py).
        "units": call.units or [],
        # The language the team on the call needs the interpreter line for (dispatch/interpreter.py), by name.
        "interpreter_line": languages.name(call.interpreter_line) if call.interpreter_line and assignment else None,
        # Why no team is offered the call, and since when (from the latest routing run).
        **waiting(call, assignment),
        "version": call.version,
        # Running standards clocks; the board ticks them and highlights a call about to breach.
        "standards": live_clocks(call),
        # The offer or assignment in force, so a board can redraw the row from this event alone.
        "assignment": assignment,
        # What the lifecycle allows next, so no client re-implements the state machine.
        "actions": call_actions(call, assignment),
    }


def waiting(call: Call, assignment: dict[str, Any] | None) -> dict[str, str | None]:
    """`waiting_reason` / `waiting_since` while the call awaits a team and no offer is out, else None."""
    explanation = call.routing_explanation or {}
    if call.status != Status.AWAITING_TEAM or assignment is not None or not explanation.get("waiting_reason"):
        return {"waiting_reason": None, "waiting_since": None}
    return {"waiting_reason": explanation["waiting_reason"], "waiting_since": explanation.get("waiting_since")}


def call_actions(call: Call, assignment: dict[str, Any] | None = UNKNOWN) -> dict[str, Any]:
    """The actions the lifecycle table allows on this call now (roles are checked by the server, per request).

    `assignment` is the call's active offer or assignment row, when the caller has it already.
    """
    allowed = TRANSITIONS[call.status]
    if assignment is UNKNOWN:
        assignment = active_assignment_row(call) if call.status in WITHDRAWABLE else None
    return {
        "triage": call.status in TRIAGEABLE,
        "assign": call.status in ASSIGNABLE,
        "resolve_by_phone": Status.RESOLVED_BY_PHONE in allowed,
        "cancel": Status.CANCELLED in allowed,
        "close": Status.CLOSED in allowed,
        "advance": [s.value for s in FIELD_STATUSES if s in allowed],
        "clear": call.status in CLEARABLE,
        # Withdraw the offer or pull the team back (dispatch.assignments.assignment_withdraw).
        "withdraw": call.status in WITHDRAWABLE and assignment is not None,
    }


# The response clocks a board watches; the 72-hour follow-up belongs to case work, not the live board.
LIVE_STANDARDS = ("answer", "dispatch", "arrival")


def live_clocks(call: Call) -> list[dict[str, Any]]:
    if not call.is_open:
        return []
    configured = standards.configured_standards()
    near = {s.key: s.near_fraction for s in configured}
    return [
        {
            "key": c.key,
            "label": c.label,
            "started_at": c.started_at.isoformat(),
            "near_at": (c.started_at + timedelta(seconds=c.target_seconds * near[c.key])).isoformat(),
            "target_at": c.target_at.isoformat(),
        }
        for c in standards.clocks_for(call, timezone.now(), configured)
        if not c.stopped and c.key in LIVE_STANDARDS
    ]


def assignment_row(assignment: Assignment | None) -> dict[str, Any] | None:
    if assignment is None:
        return None
    return {
        "id": assignment.pk,
        "team_id": assignment.team_id,
        "team_name": assignment.team.name,
        "status": assignment.status,
        "offered_at": assignment.offered_at.isoformat(),
        "expires_at": assignment.expires_at.isoformat()
        if assignment.expires_at and assignment.status == AssignmentStatus.OFFERED
        else None,
        "eta_seconds": None if assignment.eta_seconds is None else round(assignment.eta_seconds),
    }


def active_assignment_row(call: Call) -> dict[str, Any] | None:
    """The call's offer or accepted assignment; uses a prefetched `active_assignments` when there is one."""
    prefetched = getattr(call, "active_assignments", None)
    if prefetched is not None:
        return assignment_row(prefetched[0] if prefetched else None)
    if call.pk is None or call.status == Status.RECEIVED:
        return None  # nothing can be offered or assigned before the call is triaged
    active = Assignment.objects.filter(call_id=call.pk, status__in=ACTIVE_ASSIGNMENT).select_related("team").first()
    return assignment_row(active)


def team_summary(team: Team) -> dict[str, Any]:
    return {
        "id": team.pk,
        "name": team.name,
        "status": team.status,
        "status_changed_at": team.status_changed_at.isoformat(),
        "latitude": team.latitude,
        "longitude": team.longitude,
        "location_reported_at": team.location_reported_at.isoformat() if team.location_reported_at else None,
        "version": team.version,
        # Shift changes the team may make itself now (empty while it holds a call).
        "actions": sorted(MANUAL_TRANSITIONS.get(team.status, ())),
    }


def alert_summary(alert: SosAlert) -> dict:
    """What the board and the team's phones need to show one SOS alert."""
    return {
        "id": alert.pk,
        "team_id": alert.team_id,
        "team_name": alert.team.name,
        "raised_by": alert.raised_by.get_full_name() or alert.raised_by.get_username(),
        "raised_at": alert.raised_at.isoformat(),
        "latitude": alert.latitude,
        "longitude": alert.longitude,
        "location_reported_at": alert.location_reported_at.isoformat() if alert.location_reported_at else None,
        "address": alert.address,
        "call_id": alert.call_id,
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "acknowledged_by": (alert.acknowledged_by.get_username() if alert.acknowledged_by_id else None),
    }
