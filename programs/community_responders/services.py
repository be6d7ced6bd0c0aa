"""Referrals to partner services, followed until the loop closes: sent → accepted → appointment → attended.

Every write checks the one permission source and is audited; a status change follows TRANSITIONS or is refused.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from crisis import audit, outbound, permissions
from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import User

from .models import (
    OUTCOMES_BY_CALL_TYPE,
    REFERRAL_DUE,
    TRANSITIONS,
    CallOutcome,
    ClearOutcome,
    Partner,
    Referral,
    ReferralStatus,
)

NOTE_MAX = 2000


def referral_create(
    *,
    call,
    by: User | None,
    service: str,
    agency: str = "",
    partner: Partner | None = None,
    owner: User | None = None,
    due_at: datetime | None = None,
) -> Referral:
    """Refer the person on `call` to a partner (from the directory) or a named agency. The referrer owns it."""
    permissions.require(permissions.may_note_call, by, call, "Only the dispatch desk or the call's team may refer.")
    if partner is not None:
        if not partner.active:
            raise InvalidInput(f"{partner.name} no longer takes referrals.", field="partner")
        agency = partner.name
    if not agency.strip() or not service.strip():
        raise InvalidInput("Name the agency and the service.", field="agency" if not agency.strip() else "service")
    now = timezone.now()
    if due_at is not None and due_at <= now:
        raise InvalidInput("The due time must be in the future.", field="due_at")
    referral = Referral.objects.create(
        call=call,
        partner=partner,
        agency=agency.strip()[:120],
        service=service.strip()[:120],
        at=now,
        status_changed_at=now,
        owner=owner or by,
        due_at=due_at or now + REFERRAL_DUE,
    )
    audit.record(
        actor=by,
        action="community_responders.referral.created",
        obj=referral,
        call=call.pk,
        partner=partner.pk if partner else None,
        status=referral.status,
    )
    outbound.notify("referral.created", obj=referral, from_status="", to_status=referral.status)
    return referral


def referral_set_status(
    *, referral: Referral, status: str, by: User | None, note: str = "", due_at: datetime | None = None
) -> Referral:
    """Move a referral along its loop (TRANSITIONS); anything else is an InvalidTransition (409).

    `due_at` sets when the next step is due, e.g. the appointment's time; a closed referral has none.
    """
    permissions.require(permissions.may_work_referral, by, referral, "Only the referral's owner or team may change it.")
    if status not in ReferralStatus.values:
        raise InvalidInput(f"Unknown referral status {status!r}.", field="status")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"A note is at most {NOTE_MAX:,} characters.", field="note")
    with transaction.atomic():
        current = Referral.objects.select_for_update().get(pk=referral.pk)
        before = current.status
        if status not in TRANSITIONS[before]:
            raise InvalidTransition(
                f"A referral that is {current.get_status_display().lower()} cannot become "
                f"{ReferralStatus(status).label.lower()}."
            )
        now = timezone.now()
        closes = not TRANSITIONS[status]
        next_due = None if closes else (due_at or now + REFERRAL_DUE)
        # Conditional update: a concurrent change that got there first leaves this one with nothing to update.
        updated = Referral.objects.filter(pk=current.pk, status=before).update(
            status=status, status_changed_at=now, due_at=next_due
        )
        if not updated:
            raise Conflict("Someone else changed this referral first. Reload and try again.")
        current.refresh_from_db()
        audit.record(
            actor=by,
            action="community_responders.referral.status_changed",
            obj=current,
            call=current.call_id,
            from_status=before,
            to_status=status,
            fhir_status=current.fhir_status,
            note=note,
        )
        outbound.notify("referral.status_changed", obj=current, from_status=before, to_status=status)
    return current


# A referral made at clear with no service typed: the phone asks as little as it can at 4 a.m.
CLEAR_REFERRAL_SERVICE = "Referred by the team at clear"
# Outcomes that say the person was referred: a referral must come with them, or the report counts a loop never opened.
REFERRAL_REQUIRED_FOR = (ClearOutcome.FOUND_REFERRED.value,)
# Outcomes that say nobody was referred (no needs, nobody there, contact refused, the person gone): a referral with
# one of them is a contradiction, and the outcomes report and the referrals report would disagree about the call.
# The others (needs met on scene, de-escalated, handed on) may bring a referral for what comes next, or not.
REFERRAL_REFUSED_FOR = (
    ClearOutcome.FOUND_SAFE.value,
    ClearOutcome.NOT_FOUND.value,
    ClearOutcome.DECLINED.value,
    ClearOutcome.MOVED_ON.value,
)
# The call's disposition (dispatch) and the outcome (this program) describe the same ending: "referred to services"
# with an outcome that says nobody was referred, or "no contact" with one that says the team met the person, would
# put the call in two reports at once. Other pairs are left to the team (e.g. handed on, then stabilized).
# Keyed by dispatch's Disposition values (a layer above this one), with the words its form shows.
OUTCOMES_REFUSED_BY_DISPOSITION = {
    "referred": ("Referred to services", REFERRAL_REFUSED_FOR),
    "no_contact": (
        "No contact / gone on arrival",
        (
            ClearOutcome.FOUND_SAFE.value,
            ClearOutcome.FOUND_NEEDS_MET.value,
            ClearOutcome.FOUND_REFERRED.value,
            ClearOutcome.DEESCALATED.value,
        ),
    ),
}


def outcomes_for(call_type: str) -> tuple[str, ...]:
    return OUTCOMES_BY_CALL_TYPE.get(call_type, OUTCOMES_BY_CALL_TYPE[""])


def call_outcome_record(
    *,
    call,
    by: User | None,
    outcome: str,
    disposition: str | None = None,
    partner: Partner | None = None,
    service: str = "",
) -> CallOutcome:
    """The team's answers at clear: how the call ended for the person and, optionally, a referral to a partner.

    Runs inside the clear (dispatch.calls.call_clear), so a refusal here leaves the call open and nothing saved."""
    permissions.require(
        permissions.may_note_call, by, call, "Only the dispatch desk or the call's team may record this."
    )
    if outcome not in outcomes_for(call.call_type):
        raise InvalidInput("Choose how the call ended for the person.", field="outcome")
    if outcome in REFERRAL_REQUIRED_FOR and partner is None:
        raise InvalidInput(
            "You chose “referred”: choose the partner service you referred to.", field="referral_partner"
        )
    if outcome in REFERRAL_REFUSED_FOR and partner is not None:
        raise InvalidInput(
            f"“{ClearOutcome(outcome).label}” means nobody was referred: take out the referral, "
            "or choose the outcome that says what happened.",
            field="referral_partner",
        )
    disposition_words, refused = OUTCOMES_REFUSED_BY_DISPOSITION.get(disposition or "", ("", ()))
    if outcome in refused:
        raise InvalidInput(
            f"“{ClearOutcome(outcome).label}” and the disposition “{disposition_words}” disagree: "
            "choose the two that say what happened.",
            field="outcome",
        )
    with transaction.atomic():
        if CallOutcome.objects.filter(call=call).exists():
            raise Conflict("This call's outcome is already recorded.")
        record = CallOutcome.objects.create(call=call, outcome=outcome, recorded_by=by)
        audit.record(
            actor=by, action="community_responders.call_outcome.recorded", obj=record, call=call.pk, outcome=outcome
        )
        if partner is not None:
            referral_create(call=call, by=by, partner=partner, service=service.strip() or CLEAR_REFERRAL_SERVICE)
    return record
