"""When a phone call was answered: the phone system's report, matched to the call the desk takes.

The NENA answer standard (dispatch/standards.py) runs from the ring to the pick-up, and only the phone system
knows both. It reports each answered call (POST /api/telephony/answered) with its own call id, the caller's
number (ANI) and the times; the desk's intake, created with that callback number shortly after, takes them
over (`telephony_claim`, from call_create). A report that arrives after the call was already created (the
dispatcher typed faster than the phone system posted) is matched to that call instead. Without a phone system
the intake page still records when the dispatcher opened it as the answer time, but no ring time, so such
calls are not measured rather than counted as answered at once.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis.errors import InvalidInput
from crisis.models import User

from .models import OPEN_STATUSES, Call, TelephonyCall
from .timeline import lock_call, record_event

# A phone report and the desk's call belong together only if they are this close in time.
MATCH_WINDOW = timedelta(minutes=30)
# Phone system and server clocks may disagree by a little; more than this in the future is a bad timestamp.
CLOCK_SKEW = timedelta(minutes=2)


def ani_key(number: str) -> str:
    """The last ten digits of a phone number: '+1 (555) 010-0199' and '555-010-0199' are the same caller."""
    return re.sub(r"\D", "", number or "")[-10:]


def telephony_answered(
    *, ref: str, ani: str, answered_at: datetime | None = None, rang_at: datetime | None = None, by: User | None
) -> tuple[TelephonyCall, bool]:
    """Record that the phone system answered call `ref`. Idempotent: a repeat returns the first report unchanged.

    Returns (row, created). A matching call already taken by the desk gets the times at once.
    """
    now = timezone.now()
    answered_at = answered_at or now
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput("Give the phone system's call id.", field="call_id")
    if answered_at > now + CLOCK_SKEW:
        raise InvalidInput("The answer time is in the future.", field="answered_at")
    if rang_at is not None and rang_at > answered_at:
        raise InvalidInput("The call cannot ring after it was answered.", field="rang_at")
    existing = TelephonyCall.objects.filter(ref=ref).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = TelephonyCall.objects.create(
                ref=ref, ani=ani_key(ani), rang_at=rang_at, answered_at=answered_at, reported_by=by
            )
            _attach_to_taken_call(row, by=by)
    except IntegrityError:
        # The phone system retried while its first POST was still being written: that one stands.
        return TelephonyCall.objects.get(ref=ref), False
    return row, True


def _attach_to_taken_call(row: TelephonyCall, *, by: User | None) -> None:
    if not row.ani:
        return
    candidates = (
        Call.objects.filter(
            status__in=OPEN_STATUSES,
            rang_at__isnull=True,
            telephony__isnull=True,
            received_at__gte=row.answered_at - CLOCK_SKEW,
            received_at__lte=row.answered_at + MATCH_WINDOW,
        )
        .order_by("received_at")
        .only("pk", "callback_number")
    )
    match = next((c for c in candidates if ani_key(c.callback_number) == row.ani), None)
    if match is None:
        return
    call = lock_call(match.pk)
    if call.rang_at is not None:
        return
    Call.objects.filter(pk=call.pk).update(rang_at=row.rang_at, answered_at=row.answered_at)
    call.rang_at, call.answered_at = row.rang_at, row.answered_at
    TelephonyCall.objects.filter(pk=row.pk).update(call=call)
    row.call = call
    record_event(call, "call.answer_reported", by=by, phone_call=row.ref)


def telephony_claim(*, callback_number: str, now: datetime) -> TelephonyCall | None:
    """The phone system's latest unclaimed report for this caller, locked, for a call being created now."""
    key = ani_key(callback_number)
    if not key:
        return None
    return (
        TelephonyCall.objects.select_for_update(skip_locked=True)
        .filter(ani=key, call__isnull=True, answered_at__gte=now - MATCH_WINDOW, answered_at__lte=now + CLOCK_SKEW)
        .order_by("-answered_at")
        .first()
    )
