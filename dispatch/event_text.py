"""What each timeline event says, in words a tired dispatcher reads at a glance: one mapping for every kind.

The call page, the API's timeline (`text`) and anything else that shows a call's history read `event_text`.
tests/dispatch/test_event_text.py fails when a service records a kind this table does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import Agency, CallEvent, Disposition, Source, Status, Tier, UnitStatus

_STATUS = dict(Status.choices)
_DISPOSITION = dict(Disposition.choices)
_SOURCE = dict(Source.choices)
_AGENCY = dict(Agency.choices)
_UNIT_STATUS = dict(UnitStatus.choices)
_TIER = dict(Tier.choices)
_STANDARD = {"answer": "the 15-second answer", "dispatch": "the 60-second dispatch", "arrival": "the arrival"}


def _team(ev: CallEvent) -> str:
    return ev.team.name if ev.team_id else "a team"


def _minutes(seconds: Any) -> str:
    try:
        mins = round(float(seconds) / 60)
    except (TypeError, ValueError):
        return ""
    return "under a minute" if mins < 1 else f"{mins} min"


def _unit(d: dict) -> str:
    agency = _AGENCY.get(d.get("agency"), str(d.get("agency") or "A"))
    return f"{agency} unit {d.get('unit') or ''}".strip()


def _triaged(ev: CallEvent, d: dict) -> str:
    tier = d.get("tier")
    text = "Triaged" + (f": priority {d['priority']}" if d.get("priority") else "")
    if tier:
        text += f", {str(_TIER.get(tier, tier)).lower()}"
    if d.get("override_reason"):
        text += f" (overridden: {d['override_reason']})"
    return text + "."


def _unit_status(ev: CallEvent, d: dict) -> str:
    status = _UNIT_STATUS.get(d.get("unit_status"), d.get("unit_status") or "status changed")
    tail = " as the call closed" if d.get("with_call_close") else ""
    return f"{_unit(d)}: {str(status).lower()}{tail}."


EVENT_TEXT: dict[str, Callable[[CallEvent, dict], str]] = {
    "call.created": lambda ev, d: (
        f"Call taken ({_SOURCE.get(d.get('source'), d.get('source') or 'unknown source')})"
        + (", answer time from the phone system." if d.get("phone_call") else ".")
    ),
    "call.answer_reported": lambda ev, d: "The phone system reported when this call rang and was answered.",
    "call.triaged": _triaged,
    "call.awaiting_team": lambda ev, d: "Waiting for a team.",
    "call.waiting": lambda ev, d: f"No team offered yet: {d.get('reason') or 'no eligible team free'}.",
    "call.recommended": lambda ev, d: (
        f"{_team(ev)} recommended"
        + (f" ({_minutes(d['eta_seconds'])} away)." if d.get("eta_seconds") is not None else ".")
    ),
    "call.offered": lambda ev, d: (
        f"Offered to {_team(ev)}"
        + (f", {_minutes(d['eta_seconds'])} away." if d.get("eta_seconds") is not None else ".")
    ),
    "call.accepted": lambda ev, d: f"{_team(ev)} accepted the call.",
    "call.offer_declined": lambda ev, d: f"{_team(ev)} declined" + (f": {d['reason']}." if d.get("reason") else "."),
    "call.offer_lapsed": lambda ev, d: f"{_team(ev)} did not answer the offer in time.",
    "call.offer_withdrawn": lambda ev, d: (
        f"Offer to {_team(ev)} withdrawn" + (f": {d['reason']}." if d.get("reason") else ".")
    ),
    "call.pulled_back": lambda ev, d: (
        f"{_team(ev)} pulled back from the call" + (f": {d['reason']}." if d.get("reason") else ".")
    ),
    "call.reassigning": lambda ev, d: "Reassigning to another team" + (f": {d['reason']}." if d.get("reason") else "."),
    "call.assigned_manually": lambda ev, d: (
        f"Assigned to {_team(ev)} by hand" + (f": {d['reason']}." if d.get("reason") else ".")
    ),
    "call.escalated": lambda ev, d: f"Escalated to the desk and supervisors: {d.get('reason') or 'offers refused'}.",
    "call.en_route": lambda ev, d: f"{_team(ev)} on the way.",
    "call.on_scene": lambda ev, d: f"{_team(ev)} arrived on scene.",
    "call.transporting": lambda ev, d: (
        f"{_team(ev)} transporting" + (f" to {d['destination']}." if d.get("destination") else ".")
    ),
    "call.resolved_by_phone": lambda ev, d: "Resolved by phone" + (f": {d['note']}." if d.get("note") else "."),
    "call.closed": lambda ev, d: (
        "Closed: "
        + str(_DISPOSITION.get(d.get("disposition"), d.get("disposition") or "no disposition")).lower()
        + (f". {d['note']}" if d.get("note") else ".")
    ),
    "call.cancelled": lambda ev, d: "Cancelled" + (f": {d['reason']}." if d.get("reason") else "."),
    "call.note": lambda ev, d: f"Note: {d.get('text', '')}",
    "call.interpreter_line": lambda ev, d: str(d.get("text") or f"{_team(ev)} will use the interpreter line."),
    "call.needs_changed": lambda ev, d: (
        "Needs changed"
        + (f": added {', '.join(d['added'])}" if d.get("added") else "")
        + (f"{';' if d.get('added') else ':'} removed {', '.join(d['removed'])}" if d.get("removed") else "")
        + "."
    ),
    "call.unrouted_flagged": lambda ev, d: f"Flagged: no team after {_minutes(d.get('waiting_seconds'))}.",
    "call.standard_warning": lambda ev, d: (
        f"Close to missing {_STANDARD.get(d.get('standard'), 'a')} standard."
        if d.get("state") == "near"
        else f"Missed {_STANDARD.get(d.get('standard'), 'a')} standard."
    ),
    "call.handoff_requested": lambda ev, d: (
        "Hand-off needed to " + " and ".join(_AGENCY.get(a, a) for a in d.get("agencies") or []) + "."
    ),
    "call.handoff_not_needed": lambda ev, d: "Hand-off no longer needed.",
    "call.handed_off": lambda ev, d: (
        f"Handed to {_AGENCY.get(d.get('agency'), d.get('agency'))}"
        + (f", incident {d['incident_number']}" if d.get("incident_number") else "")
        + (f", unit {d['unit']}" if d.get("unit") else "")
        + "."
    ),
    "call.handoff_notified": lambda ev, d: f"{_AGENCY.get(d.get('agency'), d.get('agency'))} notified of the hand-off.",
    "call.handoff_notify_failed": lambda ev, d: (
        f"Could not notify {_AGENCY.get(d.get('agency'), d.get('agency'))}: call them."
    ),
    "call.unit_added": lambda ev, d: f"{_unit(d)} added to the call.",
    "call.unit_status": _unit_status,
}


def event_text(ev: CallEvent) -> str:
    """The sentence for one timeline row; an unknown kind (an old row) falls back to its status change."""
    describe = EVENT_TEXT.get(ev.kind)
    if describe is not None:
        text = describe(ev, ev.detail or {})
        return text[:1].upper() + text[1:]
    # A program's fact about the call (CallDesk.call_timeline_add, e.g. a video consult) brings its own sentence.
    if (ev.detail or {}).get("text"):
        return str(ev.detail["text"])
    if ev.to_status:
        return f"Now {_STATUS.get(ev.to_status, ev.to_status).lower()}."
    return ev.kind.removeprefix("call.").replace("_", " ").capitalize() + "."
