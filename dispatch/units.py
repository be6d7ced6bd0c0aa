"""Police and EMS units on a call: the one writer of CallUnit and of the call's `units` summary.

A call can have more than one unit: the crisis team (its state is written by dispatch/team_state.py and the
call's own lifecycle) and any number of partner-agency units, each with its own status (dispatched, en route,
on scene, cleared) and times. A recorded hand-off adds the agency's unit (`unit_add` from handoffs.py, in the
same transaction); the desk adds one by hand for a co-response where no paired team exists.

Every change locks the call, writes the unit row, refreshes the call's `units` summary and writes one timeline
event (which bumps the version and publishes the row), so the board shows each unit without a query.

Closing: `units_release_for_close` refuses while a unit is still on scene unless the dispatcher confirms; the
units still open are then cleared with the call, each on the timeline.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis import permissions
from crisis.errors import Conflict, InvalidInput, InvalidTransition, NeedsConfirmation
from crisis.models import User

from .models import UNIT_TRANSITIONS, Agency, Call, CallUnit, Handoff, UnitStatus
from .timeline import lock_call, record_event

_STAMP = {
    UnitStatus.EN_ROUTE: "en_route_at",
    UnitStatus.ON_SCENE: "on_scene_at",
    UnitStatus.CLEARED: "cleared_at",
}


def unit_row(unit: CallUnit) -> dict:
    """One unit as the board row and the call page show it (the `units` list of a call row)."""
    return {
        "id": unit.pk,
        "agency": unit.agency,
        "unit": unit.unit,
        "incident_number": unit.incident_number,
        "status": unit.status,
        "dispatched_at": unit.dispatched_at.isoformat(),
        "en_route_at": unit.en_route_at.isoformat() if unit.en_route_at else None,
        "on_scene_at": unit.on_scene_at.isoformat() if unit.on_scene_at else None,
        "cleared_at": unit.cleared_at.isoformat() if unit.cleared_at else None,
    }


def label(unit: CallUnit) -> str:
    return f"{unit.get_agency_display()} {unit.unit}"


def _refresh_summary(call: Call) -> None:
    """Keep the call's `units` copy in step with its unit rows (the caller holds the call's lock)."""
    call.units = [unit_row(u) for u in CallUnit.objects.filter(call=call).order_by("dispatched_at", "id")]
    Call.objects.filter(pk=call.pk).update(units=call.units)


def is_on_call(call: Call, *, agency: str, unit: str) -> bool:
    return (
        CallUnit.objects.filter(call=call, agency=agency, unit=unit.strip()).exclude(status=UnitStatus.CLEARED).exists()
    )


def unit_add(
    *,
    call: Call,
    agency: str,
    unit: str,
    by: User,
    incident_number: str = "",
    handoff: Handoff | None = None,
    dispatched_at: datetime | None = None,
) -> CallUnit:
    """Put a police or EMS unit on the call (dispatched now). Refuses a closed call and a unit already on it."""
    permissions.require(permissions.may_dispatch, by, call, "Only the dispatch desk adds units to a call.")
    if agency not in Agency.values:
        raise InvalidInput(f"Unknown agency {agency!r}: police or ems.", field="agency")
    unit, incident_number = unit.strip(), incident_number.strip()
    if not unit:
        raise InvalidInput("Give the agency's unit id.", field="unit")
    with transaction.atomic():
        call = lock_call(call)
        if not call.is_open:
            raise InvalidTransition(f"A call that is {call.get_status_display().lower()} cannot take another unit.")
        try:
            with transaction.atomic():
                row = CallUnit.objects.create(
                    call=call,
                    agency=agency,
                    unit=unit,
                    incident_number=incident_number,
                    handoff=handoff,
                    added_by=by,
                    dispatched_at=dispatched_at or timezone.now(),
                )
        except IntegrityError as exc:
            raise Conflict(f"{Agency(agency).label} unit {unit} is already on this call.") from exc
        _refresh_summary(call)
        record_event(call, "call.unit_added", by=by, unit_id=row.pk, agency=agency, unit=unit)
    return row


def unit_set_status(*, unit: CallUnit, status: str, by: User, expected_status: str | None = None) -> CallUnit:
    """The desk records a unit's progress (radio or CAD): dispatched → en route → on scene → cleared."""
    if status not in UnitStatus.values:
        raise InvalidInput(f"Unknown unit status {status!r}.", field="status")
    permissions.require(permissions.may_dispatch, by, unit.call, "Only the dispatch desk records unit status.")
    with transaction.atomic():
        call = lock_call(unit.call_id)
        unit = CallUnit.objects.select_for_update().get(pk=unit.pk)
        if expected_status is not None and expected_status != unit.status:
            raise Conflict(
                f"{label(unit)} is now {unit.get_status_display().lower()}: this change was made on an old view."
            )
        if status not in UNIT_TRANSITIONS[unit.status]:
            now_is, wanted = unit.get_status_display().lower(), UnitStatus(status).label.lower()
            raise InvalidTransition(f"{label(unit)} is {now_is} and cannot become {wanted}.")
        if status != UnitStatus.CLEARED and not call.is_open:
            raise InvalidTransition(f"The call is {call.get_status_display().lower()}: its units can only clear.")
        before = unit.status
        unit.status = status
        setattr(unit, _STAMP[status], timezone.now())
        unit.save(update_fields=["status", _STAMP[status]])
        _refresh_summary(call)
        record_event(
            call, "call.unit_status", by=by, unit_id=unit.pk, agency=unit.agency, unit=unit.unit,
            from_unit_status=before, unit_status=status,
        )  # fmt: skip
    return unit


def units_release_for_close(call: Call, *, by: User | None, confirm: bool) -> None:
    """Called by call_close under the call's lock: refuse while a unit is on scene unless confirmed, then clear
    every unit still open with the call (each gets its timeline row)."""
    open_units = list(CallUnit.objects.select_for_update().filter(call=call).exclude(status=UnitStatus.CLEARED))
    if not open_units:
        return
    on_scene = [label(u) for u in open_units if u.status == UnitStatus.ON_SCENE]
    if on_scene and not confirm:
        raise NeedsConfirmation(
            f"{' and '.join(on_scene)} {'is' if len(on_scene) == 1 else 'are'} still on scene. "
            "Clear the unit first, or confirm closing the call anyway.",
            reasons=[f"{name} is still on scene" for name in on_scene],
            field="confirm_units",
        )
    now = timezone.now()
    befores = {}
    for unit in open_units:
        befores[unit.pk] = unit.status
        unit.status, unit.cleared_at = UnitStatus.CLEARED, now
        unit.save(update_fields=["status", "cleared_at"])
    _refresh_summary(call)
    for unit in open_units:
        before = befores[unit.pk]
        record_event(
            call, "call.unit_status", by=by, unit_id=unit.pk, agency=unit.agency, unit=unit.unit,
            from_unit_status=before, unit_status=UnitStatus.CLEARED, with_call_close=True,
        )  # fmt: skip
