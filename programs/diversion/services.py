"""Every write of a 911 diversion: one function per state change, audited, published after commit.

The CAD transfers a call (`diversion_transfer`, idempotent on its incident number); a diversion clinician takes
it (`diversion_take`, first one wins), documents the counselling, the needs assessment and a safety plan
(`diversion_document`), refers the caller to a partner (`diversion_refer`, the community responders'
referral service), and ends it: resolved by phone (`diversion_resolve`) when the risk screen allows it, or
escalated (`diversion_escalate`): to a field team (the call goes to routing) or, when the screen calls for
police or EMS, back to 911. The call itself is opened, screened and resolved through the call desk port.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis import audit, permissions, realtime
from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import User
from programs.community_responders import services as referrals
from programs.community_responders.models import Partner, Referral
from programs.plugins import call_desk

from .models import TRANSITIONS, Diversion, DiversionStatus, Need
from .rows import DIVERSION_GROUP, diversion_row

INCIDENT_MAX = 64
TEXT_MAX = 4000
MAY_NOT_HANDLE = "Only the clinician who took this call can do this."
PHONE = "phone"


def _text(value, *, name: str, high: int, what: str, required: bool = False) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise InvalidInput(f"The {what} contains a character that is not allowed.", field=name)
    if required and not text:
        raise InvalidInput(f"Write the {what}.", field=name)
    if len(text) > high:
        raise InvalidInput(f"The {what} is too long (at most {high} characters).", field=name)
    return text


def _publish(diversion: Diversion) -> None:
    realtime.publish("diversion.updated", diversion_row(diversion), groups=[DIVERSION_GROUP])


def _lock(diversion: Diversion) -> Diversion:
    return Diversion.objects.select_for_update(of=("self",)).select_related("call", "clinician").get(pk=diversion.pk)


def _move(diversion: Diversion, to: str) -> None:
    if to not in TRANSITIONS[diversion.status]:
        label = DiversionStatus(diversion.status).label.lower()
        raise InvalidTransition(f"This call is {label}: it cannot be {DiversionStatus(to).label.lower()} now.")
    diversion.status = to
    diversion.version += 1


def diversion_transfer(
    *,
    by: User,
    incident_id: str,
    address: str,
    nature: str,
    call_type: str = "mental_health",
    caller_name: str = "",
    callback_number: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    narrative: str = "",
) -> tuple[Diversion, bool]:
    """A call transferred from the 911 CAD. The same incident number again returns the first transfer
    unchanged (CAD systems retry); returns the diversion and whether it was created now."""
    permissions.require(permissions.may_transfer_diversion, by, None, "Your role may not transfer calls.")
    incident_id = _text(incident_id, name="incident_id", high=INCIDENT_MAX, what="CAD incident number", required=True)
    existing = Diversion.objects.filter(cad_incident_id=incident_id).select_related("call", "clinician").first()
    if existing is not None:
        return existing, False
    if (latitude is None) != (longitude is None):
        raise InvalidInput("Give both latitude and longitude, or neither.", field="longitude")
    try:
        with transaction.atomic():
            call = call_desk().call_create(
                by=by,
                source="911",
                address=address,
                nature=nature,
                call_type=call_type,
                caller_name=caller_name,
                callback_number=callback_number,
                latitude=latitude,
                longitude=longitude,
                narrative=narrative,
            )
            diversion = Diversion.objects.create(call=call, cad_incident_id=incident_id, transferred_by=by)
            audit.record(
                actor=by, action="diversion.diversion.transferred", obj=diversion, call=call.pk, incident=incident_id
            )
            _publish(diversion)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(f"{field}: {messages[0]}", field=field) from exc
    except IntegrityError:  # the same incident transferred twice at once: the other request created it
        return Diversion.objects.select_related("call", "clinician").get(cad_incident_id=incident_id), False
    return diversion, True


def diversion_take(*, diversion: Diversion, by: User) -> Diversion:
    with transaction.atomic():
        diversion = _lock(diversion)
        permissions.require(permissions.may_work_diversion, by, diversion, "Only a diversion clinician can take it.")
        if diversion.status == DiversionStatus.IN_PROGRESS:
            who = diversion.clinician.get_full_name() or diversion.clinician.get_username()
            raise Conflict(f"{who} already took this call.")
        _move(diversion, DiversionStatus.IN_PROGRESS)
        diversion.clinician = by
        diversion.taken_at = timezone.now()
        diversion.save(update_fields=["status", "clinician", "taken_at", "version"])
        waited = round((diversion.taken_at - diversion.transferred_at).total_seconds())
        audit.record(actor=by, action="diversion.diversion.taken", obj=diversion, waited_seconds=waited)
        _publish(diversion)
    return diversion


def _handling(diversion: Diversion, by: User) -> Diversion:
    diversion = _lock(diversion)
    permissions.require(permissions.may_handle_diversion, by, diversion, MAY_NOT_HANDLE)
    if diversion.status != DiversionStatus.IN_PROGRESS:
        raise InvalidTransition(f"This call is {diversion.get_status_display().lower()}.")
    return diversion


def diversion_document(
    *, diversion: Diversion, by: User, counselling_note: str, needs: list[str], safety_plan: str
) -> Diversion:
    """The crisis counselling note, the needs assessment and the safety plan, as they stand now."""
    counselling_note = _text(counselling_note, name="counselling_note", high=TEXT_MAX, what="counselling note")
    safety_plan = _text(safety_plan, name="safety_plan", high=TEXT_MAX, what="safety plan")
    unknown = [n for n in needs if n not in Need.values]
    if unknown:
        raise InvalidInput(f"Unknown need {unknown[0]!r}.", field="needs")
    needs = [n for n in Need.values if n in set(needs)]  # the table's order, no repeats
    with transaction.atomic():
        diversion = _handling(diversion, by)
        values = {"counselling_note": counselling_note, "needs": needs, "safety_plan": safety_plan}
        changed = sorted(k for k, v in values.items() if getattr(diversion, k) != v)
        for key, value in values.items():
            setattr(diversion, key, value)
        diversion.version += 1
        diversion.save(update_fields=[*values, "version"])
        # The audit says what changed, not the clinical text itself (that stays in the record).
        audit.record(actor=by, action="diversion.diversion.documented", obj=diversion, changed=changed, needs=needs)
        _publish(diversion)
    return diversion


def diversion_refer(*, diversion: Diversion, by: User, partner: Partner, service: str) -> Referral:
    """Refer the caller to a partner from the directory: a referral on the call, followed until it closes."""
    with transaction.atomic():
        diversion = _handling(diversion, by)
        referral = referrals.referral_create(call=diversion.call, by=by, partner=partner, service=service)
        diversion.version += 1
        diversion.save(update_fields=["version"])
        _publish(diversion)
    return referral


def clean_screen(screen: Mapping[str, object] | None) -> dict[str, bool]:
    names = [name for name, _ in call_desk().screen_fields()]
    screen = dict(screen or {})
    unknown = [k for k in screen if k not in names]
    if unknown:
        raise InvalidInput(f"Unknown risk-screen question {unknown[0]!r}.", field="screen")
    return {name: screen.get(name) is True for name in names}


def diversion_resolve(*, diversion: Diversion, by: User, screen: Mapping[str, object], note: str = "") -> Diversion:
    """Resolved by phone: the caller is engaged and safe, and the risk screen agrees (else: send a team)."""
    desk = call_desk()
    screen = clean_screen(screen) | {"phone_engaged": True}
    note = _text(note, name="note", high=TEXT_MAX, what="note")
    with transaction.atomic():
        diversion = _handling(diversion, by)
        if not diversion.counselling_note:
            raise InvalidInput("Write the counselling note before resolving the call.", field="counselling_note")
        tier = desk.screen_tier(screen)
        if tier != PHONE:
            raise InvalidTransition("The risk screen says this caller needs more than a phone call: send a team.")
        desk.call_screen(call=diversion.call, by=by, screen=screen)
        desk.call_resolve_by_phone(call=diversion.call, by=by, note=note or "Resolved by the diversion clinician")
        _end(diversion, DiversionStatus.RESOLVED, tier=tier, note=note)
        audit.record(actor=by, action="diversion.diversion.resolved", obj=diversion, tier=tier)
        _publish(diversion)
    return diversion


def diversion_escalate(*, diversion: Diversion, by: User, screen: Mapping[str, object], note: str = "") -> Diversion:
    """The call needs someone there: a field team (the call goes to routing) or, if the screen calls for
    police or EMS, a warm hand-off back to 911 (the call waits on the dispatch desk)."""
    desk = call_desk()
    screen = clean_screen(screen) | {"phone_engaged": False}
    note = _text(note, name="note", high=TEXT_MAX, what="note")
    with transaction.atomic():
        diversion = _handling(diversion, by)
        tier = desk.call_screen(call=diversion.call, by=by, screen=screen)
        _end(diversion, DiversionStatus.ESCALATED, tier=tier, note=note)
        field_team = tier in desk.field_tiers()
        audit.record(
            actor=by,
            action="diversion.diversion.escalated",
            obj=diversion,
            tier=tier,
            to="team" if field_team else "911",
        )
        _publish(diversion)
    return diversion


def _end(diversion: Diversion, status: str, *, tier: str, note: str) -> None:
    _move(diversion, status)
    diversion.tier = tier
    diversion.outcome_note = note
    diversion.ended_at = timezone.now()
    diversion.save(update_fields=["status", "tier", "outcome_note", "ended_at", "version"])
