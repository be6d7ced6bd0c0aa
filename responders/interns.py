"""Interns from partner universities: their term, the supervision log, and access that ends with the term.

`intern_terms_end_due` (beat, every sweep interval) ends the access of every intern whose term is over: the
account is deactivated and `crisis.revocation.user_access_revoke` ends their sessions, closes their sockets
and deletes their API tokens, audited as `crisis.access.revoked` with reason `intern_term_ended`. The intern
writes notes in their supervision log; only their supervisor signs them off, once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from crisis import audit, permissions
from crisis.errors import InvalidInput, InvalidTransition
from crisis.models import User
from crisis.revocation import user_access_revoke

from .models import InternHours, InternTerm, SupervisionNote, TeamMember

NOTE_MAX = 4000
ACTIVITY_MAX = 200
END_REASON_MAX = 300
DAY_HOURS = Decimal(24)
REQUIRED_HOURS_MAX = 2000


def _text(value, *, name: str, required: bool, what: str) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise InvalidInput(f"The {what} contains a character that is not allowed.", field=name)
    if required and not text:
        raise InvalidInput(f"Write the {what}.", field=name)
    if len(text) > NOTE_MAX:
        raise InvalidInput(f"The {what} is too long (at most {NOTE_MAX} characters).", field=name)
    return text


def intern_term_save(
    *,
    user: User,
    university: str,
    supervisor: User,
    starts_on: date,
    ends_on: date,
    by: User | None,
    required_hours: int = 0,
) -> InternTerm:
    """Start or change an intern's term (onboarding); audited."""
    university = " ".join((university or "").split())
    if not university or len(university) > 120 or "\x00" in university:
        raise InvalidInput("Name the intern's university (at most 120 characters).", field="university")
    if ends_on < starts_on:
        raise InvalidInput("The term cannot end before it starts.", field="ends_on")
    if supervisor.pk == user.pk:
        raise InvalidInput("An intern cannot supervise themselves.", field="supervisor")
    if not 0 <= int(required_hours) <= REQUIRED_HOURS_MAX:
        raise InvalidInput(f"Required hours are 0 to {REQUIRED_HOURS_MAX}.", field="required_hours")
    with transaction.atomic():
        term, created = InternTerm.objects.select_for_update().update_or_create(
            user=user,
            defaults={
                "university": university,
                "supervisor": supervisor,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "required_hours": int(required_hours),
            },
        )
        audit.record(
            actor=by,
            action="responders.intern_term.saved",
            obj=term,
            intern=user.pk,
            supervisor=supervisor.pk,
            starts_on=starts_on.isoformat(),
            ends_on=ends_on.isoformat(),
            required_hours=int(required_hours),
            created=created,
        )
    return term


def intern_term_end(*, term: InternTerm, now=None, reason: str = "") -> bool:
    """End one intern's access (the term is over, or `reason` why earlier). Safe to run twice: False when it
    was already ended."""
    now = now or timezone.now()
    with transaction.atomic():
        term = InternTerm.objects.select_for_update().select_related("user").get(pk=term.pk)
        if term.ended_at is not None:
            return False
        term.ended_at = now
        term.end_reason = reason
        term.save(update_fields=["ended_at", "end_reason"])
        user = term.user
        # `.update()` on purpose: the deactivation receiver would revoke a second time with a vaguer reason.
        User.objects.filter(pk=user.pk).update(is_active=False)
        TeamMember.objects.filter(user=user).update(active=False)
        user_access_revoke(
            user=user, reason="intern_term_ended", tokens=True, term=term.pk, ended_on=term.ends_on.isoformat()
        )
    return True


def intern_terms_end_due(*, now=None) -> int:
    """Every term whose last day is past (in the platform's time zone) ends now."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = InternTerm.objects.filter(ended_at__isnull=True, ends_on__lt=today)
    return sum(intern_term_end(term=term, now=now) for term in list(due))


def intern_term_end_early(*, term: InternTerm, by: User, reason: str) -> InternTerm:
    """A program manager ends an intern's term before its last day (left the programme, placement ended),
    with the reason: access ends now, as it would with the term; the turnover view counts it as early."""
    permissions.require(permissions.may_manage_intern_terms, by, term, "Only a program manager ends a term.")
    reason = _text(reason, name="reason", required=True, what="reason")[:END_REASON_MAX]
    with transaction.atomic():
        if not intern_term_end(term=term, reason=reason):
            raise InvalidTransition("This intern's access has already ended.")
        audit.record(actor=by, action="responders.intern_term.ended_early", obj=term, reason=reason)
    term.refresh_from_db()
    return term


def intern_hours_log(*, by: User, on: date, hours, activity: str, today: date | None = None) -> InternHours:
    """The intern logs hours worked on one day of their term (not in the future; at most 24 a day)."""
    permissions.require(permissions.may_log_intern_hours, by, None, "Only an intern in their term logs hours.")
    term = by.intern_term
    today = today or timezone.localdate()
    try:
        hours = Decimal(str(hours)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput("Hours are a number, e.g. 3.5.", field="hours") from exc
    if not Decimal(0) < hours <= DAY_HOURS:
        raise InvalidInput("Hours are more than 0 and at most 24.", field="hours")
    if on > today:
        raise InvalidInput("Hours are logged for today or an earlier day, not ahead.", field="on")
    if not term.starts_on <= on <= term.ends_on:
        raise InvalidInput(
            f"The day must be in your term ({term.starts_on:%Y-%m-%d} to {term.ends_on:%Y-%m-%d}).", field="on"
        )
    activity = _text(activity, name="activity", required=True, what="activity")
    if len(activity) > ACTIVITY_MAX:
        raise InvalidInput(f"Keep the activity short (at most {ACTIVITY_MAX} characters).", field="activity")
    with transaction.atomic():
        # The term row is the lock: two tabs logging the same day cannot pass 24 hours together.
        InternTerm.objects.select_for_update().get(pk=term.pk)
        logged = sum((h.hours for h in InternHours.objects.filter(term=term, on=on)), Decimal(0))
        if logged + hours > DAY_HOURS:
            raise InvalidInput(f"{on:%Y-%m-%d} already has {logged:g} hours logged: at most 24 a day.", field="hours")
        entry = InternHours.objects.create(term=term, on=on, hours=hours, activity=activity)
        audit.record(
            actor=by, action="responders.intern_hours.logged", obj=entry, term=term.pk, hours=str(hours), on=str(on)
        )
    return entry


def intern_hours_sign(*, entry: InternHours, by: User) -> InternHours:
    """The intern's supervisor approves the hours, once; only approved hours count towards the term."""
    with transaction.atomic():
        entry = InternHours.objects.select_for_update().select_related("term").get(pk=entry.pk)
        permissions.require(permissions.may_sign_intern_hours, by, entry, "Only the intern's supervisor signs.")
        if entry.signed_at is not None:
            raise InvalidTransition("These hours are already signed off.")
        entry.signed_by = by
        entry.signed_at = timezone.now()
        entry.save(update_fields=["signed_by", "signed_at"])
        audit.record(actor=by, action="responders.intern_hours.signed", obj=entry, term=entry.term_id)
    return entry


def supervision_note_add(*, by: User, text: str) -> SupervisionNote:
    permissions.require(permissions.may_write_supervision_note, by, None, "Only an intern in their term writes here.")
    text = _text(text, name="text", required=True, what="note")
    with transaction.atomic():
        note = SupervisionNote.objects.create(term=by.intern_term, text=text)
        audit.record(actor=by, action="responders.supervision_note.added", obj=note, term=note.term_id)
    return note


def supervision_note_sign(*, note: SupervisionNote, by: User, comment: str = "") -> SupervisionNote:
    """The intern's supervisor signs the note off, once."""
    comment = _text(comment, name="comment", required=False, what="comment")
    with transaction.atomic():
        note = SupervisionNote.objects.select_for_update().select_related("term").get(pk=note.pk)
        permissions.require(permissions.may_sign_supervision_note, by, note, "Only the intern's supervisor signs.")
        if note.signed_at is not None:
            raise InvalidTransition("This note is already signed off.")
        note.signed_by = by
        note.signed_at = timezone.now()
        note.comment = comment
        note.save(update_fields=["signed_by", "signed_at", "comment"])
        audit.record(actor=by, action="responders.supervision_note.signed", obj=note, term=note.term_id)
    return note
