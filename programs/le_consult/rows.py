"""The one row an event and a snapshot carry for a consult, and the groups it goes to.

The row holds nothing clinical: the officer, the clinician and the supervisors all receive the same row.
The only person data in it is the response plan's officer view, and only while the plan allows it.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from crisis import realtime
from programs.plugins import call_desk

from .models import OPEN, TRANSITIONS, WAITING, Consult, ConsultStatus

ROW_KEYS = frozenset(
    {
        "id",
        "status",
        "status_label",
        "need",
        "need_label",
        "description",
        "address",
        "latitude",
        "longitude",
        "officer",
        "clinician",
        "backup",
        "assigned_to",
        "requested_at",
        "escalate_at",
        "escalated_at",
        "accepted_at",
        "closed_at",
        "outcome",
        "outcome_label",
        "outcome_note",
        "person",
        "officer_plan",
        "messages",
        "video",
        "team",
        "actions",
        "version",
    }
)


def _who(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def officer_plan(consult: Consult) -> dict[str, str] | None:
    """The response plan's officer view, when the consult's person has a plan that allows it."""
    person = consult.person
    plan = getattr(person, "response_plan", None) if person is not None else None
    if plan is None or not plan.officer_view:
        return None
    return plan.officer_fields()


def consult_actions(consult: Consult) -> dict[str, bool]:
    """What the lifecycle allows now (who may, the server decides per request)."""
    allowed = TRANSITIONS[consult.status]
    return {
        "accept": ConsultStatus.ACCEPTED in allowed,
        "message": consult.status in OPEN,
        "close": ConsultStatus.CLOSED in allowed,
        "cancel": ConsultStatus.CANCELLED in allowed,
        "link_person": consult.status == ConsultStatus.ACCEPTED,
        "video": consult.status == ConsultStatus.ACCEPTED,
        "send_team": consult.status == ConsultStatus.ACCEPTED and consult.call_id is None,
    }


def video_state(consult: Consult) -> dict[str, Any]:
    """Whether a video call is open (someone waits in it, or both are connected) and the time on video so far."""
    if hasattr(consult, "open_video"):  # prefetched by selectors.with_rows
        session = consult.open_video[0] if consult.open_video else None
    else:
        session = consult.video_sessions.filter(ended_at__isnull=True).first()
    return {
        "url": reverse("programs:le_consult:video", args=[consult.pk]),
        "live": session is not None,
        "connected": bool(session and session.connected_at),
        "seconds": consult.video_seconds,
        "consent": consult.video_consent,
        "consent_label": consult.get_video_consent_display() if consult.video_consent else "",
        "consent_reason": consult.video_consent_reason,
    }


def team_state(consult: Consult) -> dict[str, Any] | None:
    """The team the clinician sent, as the officer follows it: the call's progress from the call desk."""
    if consult.call_id is None:
        return None
    p = call_desk().call_progress(consult.call_id)
    if p is None:
        return None
    return {
        "call_id": p.call_id,
        "call_status": p.status,
        "call_status_label": p.status_label,
        "call_open": p.open,
        "team_id": p.team_id,
        "name": p.team_name,
        "accepted": p.team_accepted,
        "eta_at": _iso(p.eta_at),
        "eta_source": p.eta_source,
        "latitude": p.team_latitude,
        "longitude": p.team_longitude,
        "located_at": _iso(p.located_at),
        "arrived_at": _iso(p.arrived_at),
    }


def consult_row(consult: Consult) -> dict[str, Any]:
    messages = list(consult.messages.all())
    return {
        "id": consult.pk,
        "status": consult.status,
        "status_label": ConsultStatus(consult.status).label,
        "need": consult.need,
        "need_label": consult.get_need_display(),
        "description": consult.description,
        "address": consult.address,
        "latitude": consult.latitude,
        "longitude": consult.longitude,
        "officer": _who(consult.officer),
        "clinician": _who(consult.clinician),
        "backup": _who(consult.backup),
        "assigned_to": _who(consult.assigned_to),
        "requested_at": _iso(consult.requested_at),
        "escalate_at": _iso(consult.escalate_at) if consult.status in WAITING else None,
        "escalated_at": _iso(consult.escalated_at),
        "accepted_at": _iso(consult.accepted_at),
        "closed_at": _iso(consult.closed_at),
        "outcome": consult.outcome,
        "outcome_label": consult.get_outcome_display() if consult.outcome else "",
        "outcome_note": consult.outcome_note,
        "person": {"id": consult.person.pk, "name": str(consult.person)} if consult.person else None,
        "officer_plan": officer_plan(consult),
        "messages": [{"id": m.pk, "at": m.at.isoformat(), "author": _who(m.author), "text": m.text} for m in messages],
        "video": video_state(consult),
        "team": team_state(consult),
        "actions": consult_actions(consult),
        "version": consult.version,
    }


def consult_groups(consult: Consult) -> list[str]:
    """Who hears about this consult: its officer, its clinicians (the backup once escalated), the supervisors."""
    users = [consult.officer_id, consult.clinician_id, consult.assigned_to_id]
    if consult.escalated_at is not None:
        users.append(consult.backup_id)
    return [realtime.inbox_group(u) for u in dict.fromkeys(users) if u] + [realtime.OVERSIGHT_GROUP]
