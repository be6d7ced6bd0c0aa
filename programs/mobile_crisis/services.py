"""Follow-ups after a field response: scheduled when the call closes, recorded by the team, escalated when missed."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crisis import audit, outbound, permissions
from crisis.errors import InvalidInput, InvalidTransition
from crisis.models import User

from .models import FollowUp

NOTE_MAX = 4000
NEXT_STEP_MAX = 200


def follow_up_schedule(*, call, by: User | None) -> FollowUp | None:
    """Every call a team went out to gets one follow-up, owned by that team, due FOLLOW_UP_DUE_HOURS after arrival."""
    if call.arrived_at is None or call.team_id is None:
        return None
    existing = FollowUp.objects.filter(call_id=call.pk, completed_at__isnull=True).first()
    if existing is not None:
        return existing
    follow_up = FollowUp.objects.create(
        call_id=call.pk, team_id=call.team_id, due_at=call.arrived_at + timedelta(hours=settings.FOLLOW_UP_DUE_HOURS)
    )
    audit.record(actor=by, action="mobile_crisis.follow_up.scheduled", obj=follow_up, call=call.pk)
    return follow_up


def follow_up_record(
    *,
    follow_up: FollowUp,
    by: User,
    reached: bool,
    method: str = FollowUp.Method.PHONE,
    note: str = "",
    next_step: str = "",
) -> FollowUp:
    """The team records the contact (reached or not); that closes the follow-up."""
    permissions.require(
        permissions.may_work_follow_up, by, follow_up, "Only the follow-up's team or a supervisor may record it."
    )
    if not isinstance(reached, bool):
        raise InvalidInput("Say whether the person was reached.", field="reached")
    if method not in FollowUp.Method.values:
        raise InvalidInput(f"Unknown follow-up method {method!r}.", field="method")
    note, next_step = note.strip(), next_step.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"A note is at most {NOTE_MAX:,} characters.", field="note")
    if len(next_step) > NEXT_STEP_MAX:
        raise InvalidInput(f"The next step is at most {NEXT_STEP_MAX} characters.", field="next_step")
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if follow_up.completed_at is not None:
            raise InvalidTransition("This follow-up is already recorded.")
        follow_up.completed_at = timezone.now()
        follow_up.completed_by = by
        follow_up.reached = reached
        follow_up.method = method
        follow_up.note = note
        follow_up.next_step = next_step
        follow_up.save(update_fields=["completed_at", "completed_by", "reached", "method", "note", "next_step"])
        audit.record(
            actor=by,
            action="mobile_crisis.follow_up.recorded",
            obj=follow_up,
            call=follow_up.call_id,
            reached=reached,
            method=method,
            overdue=follow_up.completed_at > follow_up.due_at,
        )
        # It stops the call's follow-up clock (the standards report counts it).
        outbound.notify("follow_up.recorded", obj=follow_up)
    return follow_up


def follow_ups_escalate(*, now: datetime) -> list[int]:
    """Mark every open follow-up past its due time as escalated, once, and audit each; returns their ids.

    Safe to run twice and from two workers at once: rows another worker holds are skipped, and the
    UPDATE only touches rows still unescalated ("nothing got updated: another worker got there first").
    """
    with transaction.atomic():
        ids = list(
            FollowUp.objects.select_for_update(skip_locked=True)
            .filter(completed_at__isnull=True, escalated_at__isnull=True, due_at__lt=now)
            .order_by("due_at")
            .values_list("pk", flat=True)
        )
        if not ids:
            return []
        FollowUp.objects.filter(pk__in=ids, escalated_at__isnull=True).update(escalated_at=now)
        for follow_up in FollowUp.objects.filter(pk__in=ids).order_by("due_at"):
            audit.record(
                actor=None,
                action="mobile_crisis.follow_up.escalated",
                obj=follow_up,
                call=follow_up.call_id,
                team=follow_up.team_id,
                due_at=follow_up.due_at.isoformat(),
            )
    return ids
