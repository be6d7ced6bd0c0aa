"""Follow-ups after a field response: scheduled when the call closes, recorded by the team."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crisis import audit
from crisis.errors import InvalidInput, InvalidTransition
from crisis.models import User

from .models import FollowUp


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
    *, follow_up: FollowUp, by: User, reached: bool, method: str = FollowUp.Method.PHONE, note: str = ""
) -> FollowUp:
    """The team records the contact (reached or not); that closes the follow-up."""
    if method not in FollowUp.Method.values:
        raise InvalidInput(f"Unknown follow-up method {method!r}.", field="method")
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if follow_up.completed_at is not None:
            raise InvalidTransition("This follow-up is already recorded.")
        follow_up.completed_at = timezone.now()
        follow_up.completed_by = by
        follow_up.reached = reached
        follow_up.method = method
        follow_up.note = note.strip()[:4000]
        follow_up.save(update_fields=["completed_at", "completed_by", "reached", "method", "note"])
        audit.record(actor=by, action="mobile_crisis.follow_up.recorded", obj=follow_up, reached=reached)
    return follow_up
