"""Police/EMS hand-off: a police- or EMS-led call is handed to the partner agency, and the desk records it.

Triage decides which agencies must take the call (`agencies_for`): EMS for a medical emergency or an overdose
(risk), police for a weapon with violence or an assault in progress (or a police/EMS tier set by hand without
either). An EMS-only call never involves the police. Until each agency's hand-off is recorded the call's row
carries `handoff_pending`, and the board flags it with a clock running from triage.

Each agency is told through its own outbound hook (HANDOFF_POLICE_URL / HANDOFF_EMS_URL): the worker posts the
call after commit (task `notify_handoff`, retried with back-off); the call's timeline says whether it got there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis import permissions
from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import User

from . import jobs, units
from .models import Agency, Call, Handoff, Tier, Triage
from .timeline import lock_call, record_event

log = logging.getLogger(__name__)


class HookFailed(Exception):
    """The agency's endpoint did not take the notice; the task retries."""


def agencies_for(result: Triage) -> list[str]:
    """The agencies a triage result hands the call to: none unless the tier is police/EMS-led."""
    if result.tier != Tier.LE_EMS:
        return []
    agencies = []
    # An overdose risk is EMS's as a medical emergency is: the EMS-only path, no police unless a rule of theirs fired.
    ems = bool(result.medical or result.overdose_risk)
    if result.weapons or result.violence or result.assault_in_progress or not ems:
        agencies.append(Agency.POLICE.value)
    if ems:
        agencies.append(Agency.EMS.value)
    return agencies


def pending(call: Call) -> list[str]:
    return [a for a in call.handoff_pending.split(",") if a]


def handoff_require(call: Call, result: Triage, *, by: User | None) -> None:
    """Called by call_triage in its transaction: set which agencies still need the call, notify new ones."""
    needed = agencies_for(result)
    before = pending(call)
    if not needed and not before:
        return  # the usual case (a crisis-team call, never police/EMS-led): nothing to look up
    done = set(call.handoffs.values_list("agency", flat=True)) if call.pk else set()
    wanted = [a for a in needed if a not in done]
    if wanted == before:
        return
    call.handoff_pending = ",".join(wanted)
    call.save(update_fields=["handoff_pending"])
    if wanted:
        record_event(call, "call.handoff_requested", by=by, agencies=wanted)
    else:
        record_event(call, "call.handoff_not_needed", by=by, agencies=before)
    for agency in wanted:
        if agency not in before:
            jobs.enqueue_handoff_notice(call_id=call.pk, agency=agency)


def call_record_handoff(
    *,
    call: Call,
    agency: str,
    incident_number: str,
    unit: str,
    by: User,
    handed_off_at: datetime | None = None,
) -> Handoff:
    """The desk records that the agency took the call: its incident number, its unit and when."""
    permissions.require(permissions.may_dispatch, by, call, "Only the dispatch desk records hand-offs.")
    if agency not in Agency.values:
        raise InvalidInput(f"Unknown agency {agency!r}: police or ems.", field="agency")
    incident_number, unit = incident_number.strip(), unit.strip()
    if not incident_number:
        raise InvalidInput("Give the agency's incident number.", field="incident_number")
    if not unit:
        raise InvalidInput("Give the agency's unit.", field="unit")
    now = timezone.now()
    handed_off_at = handed_off_at or now
    if handed_off_at > now + timedelta(minutes=1):
        raise InvalidInput("The hand-off time is in the future.", field="handed_off_at")
    with transaction.atomic():
        call = lock_call(call)
        if not call.is_open:
            raise InvalidTransition(f"A call that is {call.get_status_display().lower()} cannot be handed off.")
        if handed_off_at < call.received_at:
            raise InvalidInput("The hand-off time is before the call was received.", field="handed_off_at")
        try:
            with transaction.atomic():
                handoff = Handoff.objects.create(
                    call=call,
                    agency=agency,
                    incident_number=incident_number,
                    unit=unit,
                    handed_off_at=handed_off_at,
                    recorded_by=by,
                    recorded_at=now,
                )
        except IntegrityError as exc:
            raise Conflict(f"The hand-off to {Agency(agency).label} is already recorded for this call.") from exc
        call.handoff_pending = ",".join(a for a in pending(call) if a != agency)
        call.save(update_fields=["handoff_pending"])
        record_event(
            call,
            "call.handed_off",
            by=by,
            agency=agency,
            incident_number=incident_number,
            unit=unit,
            handed_off_at=handed_off_at.isoformat(),
        )
        # The agency's unit is now one of the call's units, with its own status (dispatch/units.py), unless the
        # desk put it on the call already (a co-response unit that then took the hand-off).
        if not units.is_on_call(call, agency=agency, unit=unit):
            units.unit_add(
                call=call, agency=agency, unit=unit, incident_number=incident_number, handoff=handoff, by=by,
                dispatched_at=handed_off_at,
            )  # fmt: skip
    return handoff


def notice_body(call: Call, agency: str) -> dict:
    """What the agency's system gets: where, how urgent and why; the callback number to reach the caller."""
    result = call.triages.order_by("-at", "-id").first()
    return {
        "event": "handoff.requested",
        "agency": agency,
        "call_id": call.pk,
        "priority": call.priority,
        "nature": call.nature,
        "address": call.address,
        "latitude": call.latitude,
        "longitude": call.longitude,
        "callback_number": call.callback_number,
        "weapons": bool(result and result.weapons),
        "violence": bool(result and result.violence),
        "medical": bool(result and result.medical),
        "triaged_at": call.triaged_at.isoformat() if call.triaged_at else None,
    }


def handoff_notify(*, call_id: int, agency: str) -> bool:
    """Post the notice to the agency's hook. Raises HookFailed for the task to retry; False when not needed."""
    url = settings.HANDOFF_HOOK_URLS.get(agency, "")
    call = Call.objects.filter(pk=call_id).first()
    if call is None or agency not in pending(call):
        return False  # recorded meanwhile, or no longer needed: nothing to tell
    if not url:
        log.warning(
            "Hand-off hook for %s is off (HANDOFF_%s_URL unset): call #%s must be phoned",
            agency,
            agency.upper(),
            call_id,
        )
        return False
    body = json.dumps(notice_body(call, agency), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "X-Crisis-Delivery": f"call-{call_id}-{agency}"}
    if settings.HANDOFF_HOOK_SECRET:
        digest = hmac.new(settings.HANDOFF_HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Crisis-Signature"] = f"sha256={digest}"
    try:
        response = requests.post(url, data=body, headers=headers, timeout=settings.HANDOFF_HOOK_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise HookFailed(str(exc)) from exc
    if not 200 <= response.status_code < 300:
        raise HookFailed(f"HTTP {response.status_code}")
    with transaction.atomic():
        call = lock_call(call_id)
        record_event(call, "call.handoff_notified", by=None, agency=agency, status=response.status_code)
    return True


def handoff_notify_failed(*, call_id: int, agency: str, error: str) -> None:
    """Retries exhausted: the timeline says so, the board's flag and clock still run; the desk phones."""
    with transaction.atomic():
        call = lock_call(call_id)
        record_event(call, "call.handoff_notify_failed", by=None, agency=agency, error=error[:200])
