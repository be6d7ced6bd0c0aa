"""Every write of an officer consult: one function per state change, audited, published after commit.

An officer asks (`consult_request`); the on-call rota picks the designated clinician and the backup; an
unanswered consult escalates after CONSULT_ESCALATE_SECONDS to the backup and the supervisors
(`consults_escalate_due`, run by a countdown task and by the periodic sweep of this app); the clinician
accepts, both write in the thread, the clinician closes it with what it changed. The lifecycle is the
TRANSITIONS table in models.py; every transition is an audit row (`le_consult.consult.<verb>`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis import audit, permissions, realtime
from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import Person, User
from programs.plugins import call_desk
from responders.models import TeamStatus

from . import jobs, selectors
from .models import (
    TRANSITIONS,
    Consult,
    ConsultMessage,
    ConsultStatus,
    Need,
    OnCallShift,
    Outcome,
    VideoConsent,
    VideoEnd,
    VideoSession,
)
from .rows import consult_groups, consult_row

DESCRIPTION_MAX = 500
ADDRESS_MAX = 200
MESSAGE_MAX = 2000
NOTE_MAX = 4000
MAY_NOT_MESSAGE = "Only the officer and the clinician handling it can write here."
MAY_NOT_CLOSE = "Only the clinician handling the consult can do this."


def _text(value, *, name: str, high: int, required: bool = False, what: str = "text") -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise InvalidInput(f"The {what} contains a character that is not allowed.", field=name)
    if required and not text:
        raise InvalidInput(f"Write the {what}.", field=name)
    if len(text) > high:
        raise InvalidInput(f"The {what} is too long (at most {high} characters).", field=name)
    return text


def on_call_now(*, now=None) -> OnCallShift | None:
    """The rota's shift covering `now` (the one that began last, if shifts overlap)."""
    now = now or timezone.now()
    return (
        OnCallShift.objects.filter(starts_at__lte=now, ends_at__gt=now, program__active=True)
        .select_related("clinician", "backup", "program")
        .order_by("-starts_at", "-pk")
        .first()
    )


def _lock(consult_id: int) -> Consult:
    return Consult.objects.select_for_update().get(pk=consult_id)


def _move(consult: Consult, to: str) -> None:
    if to not in TRANSITIONS[consult.status]:
        label = ConsultStatus(consult.status).label.lower()
        raise InvalidTransition(f"This consult is {label}: it cannot be {ConsultStatus(to).label.lower()} now.")
    consult.status = to
    consult.version += 1


def _publish(consult: Consult) -> None:
    realtime.publish("consult.updated", consult_row(consult), groups=consult_groups(consult))


def consult_request(
    *,
    by: User,
    need: str,
    description: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    accuracy_m: float | None = None,
    address: str = "",
    now=None,
) -> Consult:
    """An officer asks for the designated on-call clinician: where (position or address), what, what they need."""
    permissions.require(permissions.may_request_consult, by, None, "Only an officer can request a consult.")
    if need not in Need.values:
        raise InvalidInput("Choose what you need: advice now, a team or a video consult.", field="need")
    description = _text(description, name="description", high=DESCRIPTION_MAX, what="description")
    address = _text(address, name="address", high=ADDRESS_MAX, what="address")
    if (latitude is None) != (longitude is None):
        raise InvalidInput("Give both latitude and longitude, or neither.", field="longitude")
    if latitude is None and not address:
        raise InvalidInput("Your position is unknown: type the address.", field="address")
    now = now or timezone.now()
    with transaction.atomic():
        shift = on_call_now(now=now)
        if shift is None:
            raise Conflict("No clinician is on call now: call the crisis hub, or request a team.")
        consult = Consult.objects.create(
            officer=by,
            program=shift.program,
            shift=shift,
            clinician=shift.clinician,
            backup=shift.backup,
            need=need,
            description=description,
            address=address,
            latitude=latitude,
            longitude=longitude,
            location_accuracy_m=accuracy_m,
            requested_at=now,
            escalate_at=now + timedelta(seconds=settings.CONSULT_ESCALATE_SECONDS),
        )
        audit.record(
            actor=by,
            action="le_consult.consult.requested",
            obj=consult,
            need=need,
            clinician=consult.clinician_id,
            backup=consult.backup_id,
        )
        _publish(consult)
        jobs.enqueue_escalation(consult_id=consult.pk, seconds=settings.CONSULT_ESCALATE_SECONDS)
    return consult


def consult_escalate(*, consult_id: int, now=None) -> bool:
    """Unanswered past its deadline: the backup and the supervisors are called in. Safe to run twice."""
    now = now or timezone.now()
    with transaction.atomic():
        consult = _lock(consult_id)
        if consult.status != ConsultStatus.REQUESTED or consult.escalate_at > now:
            return False  # answered, cancelled, already escalated, or not due yet
        _move(consult, ConsultStatus.ESCALATED)
        consult.escalated_at = now
        consult.save(update_fields=["status", "escalated_at", "version"])
        audit.record(
            actor=None,
            action="le_consult.consult.escalated",
            obj=consult,
            backup=consult.backup_id,
            waited_seconds=round(consult.waiting_seconds(now)),
        )
        _publish(consult)
    return True


def consults_escalate_due(*, now=None) -> int:
    """The safety net: whatever countdown was lost, a due consult escalates within one sweep."""
    now = now or timezone.now()
    due = Consult.objects.filter(status=ConsultStatus.REQUESTED, escalate_at__lte=now).values_list("pk", flat=True)
    return sum(consult_escalate(consult_id=pk, now=now) for pk in list(due))


def consult_accept(*, consult: Consult, by: User) -> Consult:
    """The designated clinician (the backup or a supervisor once escalated) takes the consult. First one wins."""
    with transaction.atomic():
        consult = _lock(consult.pk)
        permissions.require(
            permissions.may_accept_consult, by, consult, "This consult is for the designated on-call clinician."
        )
        if consult.status == ConsultStatus.ACCEPTED:
            raise Conflict(f"{consult.assigned_to.get_full_name() or consult.assigned_to} already took this consult.")
        _move(consult, ConsultStatus.ACCEPTED)
        consult.assigned_to = by
        consult.accepted_at = timezone.now()
        consult.save(update_fields=["status", "assigned_to", "accepted_at", "version"])
        audit.record(
            actor=by,
            action="le_consult.consult.accepted",
            obj=consult,
            waited_seconds=round(consult.waiting_seconds(consult.accepted_at)),
        )
        _publish(consult)
    return consult


def consult_message(*, consult: Consult, by: User, text: str) -> ConsultMessage:
    """A message in the consult's thread, from the officer or the clinician handling it."""
    with transaction.atomic():
        consult = _lock(consult.pk)
        permissions.require(permissions.may_message_consult, by, consult, MAY_NOT_MESSAGE)
        text = _text(text, name="text", high=MESSAGE_MAX, required=True, what="message")
        if not consult.is_open:
            raise InvalidTransition("This consult is over: the thread is closed.")
        message = ConsultMessage.objects.create(consult=consult, author=by, text=text)
        consult.version += 1
        consult.save(update_fields=["version"])
        audit.record(actor=by, action="le_consult.consult.message", obj=consult, message=message.pk)
        _publish(consult)
    return message


def consult_link_person(*, consult: Consult, person: Person, by: User) -> Consult:
    """The clinician says who the consult is about; the officer then sees the plan's officer view if it allows."""
    with transaction.atomic():
        consult = _lock(consult.pk)
        permissions.require(permissions.may_close_consult, by, consult, MAY_NOT_CLOSE)
        if not consult.is_open:
            raise InvalidTransition("This consult is over.")
        consult.person = person
        consult.version += 1
        consult.save(update_fields=["person", "version"])
        plan = getattr(person, "response_plan", None)
        audit.record(
            actor=by,
            action="le_consult.consult.person_linked",
            obj=consult,
            person=person.pk,
            # A disclosure to the officer: the accounting of disclosures reads this.
            officer_view_shared=bool(plan and plan.officer_view),
        )
        _publish(consult)
    return consult


# --- A team for the officer ---------------------------------------------------------------------------------
# The clinician asks for a team (or closes the consult with "team sent"): a dispatch call is opened through the
# call desk port, screened as "police already on scene" (a co-response, routed at once), and linked to the
# consult. From then on the consult's row carries the call's progress: which team, and when it should arrive.

# What the consult's call is screened as: the officer is there.
TEAM_SCREEN = {"police_on_scene": True, "phone_engaged": False}
# The call desk's source for a request from law enforcement (dispatch.models.Source).
CALL_SOURCE = "law_enforcement"


def _open_call(consult: Consult, *, by: User) -> None:
    """With the consult locked by the caller: open, screen and link the call (once)."""
    if consult.call_id is not None:
        raise Conflict(f"A team was already asked for: call #{consult.call_id}.")
    desk = call_desk()
    where = consult.address or f"Officer's position {consult.latitude:.5f}, {consult.longitude:.5f}"
    officer = consult.officer.get_full_name() or consult.officer.get_username()
    try:
        with transaction.atomic():
            call = desk.call_create(
                by=by,
                source=CALL_SOURCE,
                address=where[:255],
                latitude=consult.latitude,
                longitude=consult.longitude,
                call_type="mental_health",
                nature=(consult.description or f"Officer consult #{consult.pk}: team requested")[:200],
                narrative=f"Asked for by the clinician on officer consult #{consult.pk}; officer {officer} on scene.",
            )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(f"The team request could not be made ({field}: {messages[0]}).", field=field) from exc
    tier = desk.call_screen(call=call, by=by, screen=TEAM_SCREEN)
    consult.call = call
    consult.version += 1
    consult.save(update_fields=["call", "version"])
    audit.record(actor=by, action="le_consult.consult.team_requested", obj=consult, call=call.pk, tier=tier)


def consult_request_team(*, consult: Consult, by: User) -> Consult:
    """The clinician handling the consult sends a team to the officer; the officer then follows it live."""
    with transaction.atomic():
        consult = _lock(consult.pk)
        permissions.require(permissions.may_close_consult, by, consult, MAY_NOT_CLOSE)
        if consult.status != ConsultStatus.ACCEPTED:
            raise InvalidTransition("A team can be sent only while a clinician handles the consult.")
        _open_call(consult, by=by)
        _publish(consult)
    return consult


def consults_follow_call(*, call) -> int:
    """A linked call moved: its consult's row (team, ETA, status) goes to the officer again. Cheap for every
    other call: only calls the consults opened are looked up."""
    if getattr(call, "source", None) != CALL_SOURCE:
        return 0
    return _republish(Consult.objects.filter(call_id=call.pk))


def consults_follow_team(*, team) -> int:
    """A team on its way reported its position: the ETA on the consult it is driving to moved."""
    if team.status != TeamStatus.ASSIGNED:  # on scene or free: no ETA moves
        return 0
    return _republish(Consult.objects.filter(call__team_id=team.pk, call__arrived_at__isnull=True))


def _republish(consults) -> int:
    rows = list(selectors.with_rows(consults))
    for consult in rows:
        _publish(consult)
    return len(rows)


def consult_close(*, consult: Consult, by: User, outcome: str, note: str = "") -> Consult:
    """The clinician records what the consult changed; that ends it. "Team sent" sends one if none was yet."""
    with transaction.atomic():
        consult = _lock(consult.pk)
        permissions.require(permissions.may_close_consult, by, consult, MAY_NOT_CLOSE)
        if outcome not in Outcome.values:
            raise InvalidInput("Choose what the consult changed.", field="outcome")
        note = _text(note, name="note", high=NOTE_MAX, what="note")
        if outcome == Outcome.TEAM_SENT and consult.call_id is None and consult.status == ConsultStatus.ACCEPTED:
            _open_call(consult, by=by)
        _move(consult, ConsultStatus.CLOSED)
        consult.closed_at = timezone.now()
        consult.outcome = outcome
        consult.outcome_note = note
        consult.save(update_fields=["status", "closed_at", "outcome", "outcome_note", "version"])
        audit.record(actor=by, action="le_consult.consult.closed", obj=consult, outcome=outcome)
        # A video call still open ends with the consult, its time counted.
        _video_end(consult, by=by, reason=VideoEnd.CONSULT_CLOSED, now=consult.closed_at)
        _publish(consult)
    return consult


def consult_cancel(*, consult: Consult, by: User) -> Consult:
    """The officer no longer needs it (before a clinician took it)."""
    with transaction.atomic():
        consult = _lock(consult.pk)
        permissions.require(permissions.may_cancel_consult, by, consult, "Only the officer who asked can cancel it.")
        _move(consult, ConsultStatus.CANCELLED)
        consult.closed_at = timezone.now()
        consult.save(update_fields=["status", "closed_at", "version"])
        audit.record(actor=by, action="le_consult.consult.cancelled", obj=consult)
        _publish(consult)
    return consult


# --- Video from the field ---------------------------------------------------------------------------------
# The media goes browser to browser (WebRTC); the server relays the signalling (consumers.VideoConsumer) and
# keeps these facts: who started a session and when, when each side joined, when both were in (the call's
# clock), when and how it ended, and how long the two were connected, added up on the consult's
# `video_seconds`. Only the consult's officer and the clinician handling it may join, and only while the
# consult is in progress.

MAY_NOT_JOIN = "Only the officer who asked and the clinician handling this consult can join its video call."
MAY_NOT_DOCUMENT_VIDEO = "Only the clinician handling the consult records the consent and the note."
CONSENT_FIRST = "Record the person's consent to the video first."
CONSENT_REASON_MAX = 300
VIDEO_NOTE_MAX = 2000


def video_consent_record(*, consult: Consult, by: User, agreed: bool, reason: str = "") -> Consult:
    """Before the video starts, the clinician records that the person agreed, or why it goes ahead without
    their agreement (e.g. an emergency). Recording it again replaces it (both are audited)."""
    with transaction.atomic():
        consult = _lock(consult.pk)
        permissions.require(permissions.may_document_consult_video, by, consult, MAY_NOT_DOCUMENT_VIDEO)
        reason = _text(reason, name="reason", high=CONSENT_REASON_MAX, required=not agreed, what="reason")
        if consult.status != ConsultStatus.ACCEPTED:
            raise InvalidTransition("Video is only possible while a clinician handles the consult.")
        consult.video_consent = VideoConsent.AGREED if agreed else VideoConsent.NOT_OBTAINED
        consult.video_consent_reason = "" if agreed else reason
        consult.video_consent_by = by
        consult.video_consent_at = timezone.now()
        consult.version += 1
        consult.save(
            update_fields=["video_consent", "video_consent_reason", "video_consent_by", "video_consent_at", "version"]
        )
        audit.record(
            actor=by,
            action="le_consult.video.consent_recorded",
            obj=consult,
            consent=consult.video_consent,
            reason=consult.video_consent_reason,
        )
        _publish(consult)
    return consult


def video_session_note(*, consult: Consult, by: User, text: str) -> VideoSession:
    """The clinician's short note after a session: on the consult's last ended session."""
    with transaction.atomic():
        consult = _lock(consult.pk)
        permissions.require(permissions.may_document_consult_video, by, consult, MAY_NOT_DOCUMENT_VIDEO)
        text = _text(text, name="text", high=VIDEO_NOTE_MAX, required=True, what="note")
        session = (
            VideoSession.objects.select_for_update()
            .filter(consult=consult, ended_at__isnull=False)
            .order_by("-ended_at", "-pk")
            .first()
        )
        if session is None:
            raise InvalidTransition("No video session has ended yet: the note comes after it.")
        session.note, session.note_by, session.note_at = text, by, timezone.now()
        session.save(update_fields=["note", "note_by", "note_at"])
        consult.version += 1
        consult.save(update_fields=["version"])
        audit.record(actor=by, action="le_consult.video.noted", obj=consult, session=session.pk)
        _publish(consult)
    return session


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user else "The system"


def _duration(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _on_call_timeline(consult: Consult, kind: str, *, by: User | None, text: str, **detail) -> None:
    """A consult that opened a call (a co-response team sent to the officer) writes its video's start, who
    joined, and the end on that call's timeline: dispatch writes it (the call desk port), the consult's
    own audit rows stay as they are."""
    if consult.call_id is not None:
        call_desk().call_timeline_add(
            call_id=consult.call_id, kind=kind, by=by, text=text, consult=consult.pk, **detail
        )


_END_TEXT = {
    VideoEnd.HUNG_UP: "{name} left (hung up)",
    VideoEnd.DROPPED: "{name}'s connection was lost",
    VideoEnd.CONSULT_CLOSED: "the consult was closed by {name}",
}


def open_session(consult: Consult) -> VideoSession | None:
    return VideoSession.objects.filter(consult=consult, ended_at__isnull=True).first()


def video_session_join(*, consult: Consult, by: User, now=None) -> tuple[VideoSession, bool]:
    """`by` joins the consult's video call, starting a session if none is open. Returns it and whether the
    other side is already in (then the call is connected and its clock runs)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            consult = _lock(consult.pk)
            permissions.require(permissions.may_join_consult_video, by, consult, MAY_NOT_JOIN)
            if consult.status != ConsultStatus.ACCEPTED:
                raise InvalidTransition("Video is only possible while a clinician handles the consult.")
            session = open_session(consult)
            if session is None:
                session = VideoSession.objects.create(consult=consult, started_by=by, started_at=now)
                audit.record(actor=by, action="le_consult.video.started", obj=consult, session=session.pk)
                _on_call_timeline(
                    consult,
                    "call.video_started",
                    by=by,
                    text=f"Video consult started by {_name(by)} (officer consult #{consult.pk}).",
                    session=session.pk,
                )
            side = "officer" if by.pk == consult.officer_id else "clinician"
            # The officer may wait in the call; it starts only when the clinician joins, after the consent.
            if side == "clinician" and not consult.video_consent:
                raise InvalidTransition(CONSENT_FIRST)
            joined_field = f"{side}_joined_at"
            if getattr(session, joined_field) is None:
                setattr(session, joined_field, now)
                audit.record(actor=by, action="le_consult.video.joined", obj=consult, session=session.pk, side=side)
                _on_call_timeline(
                    consult,
                    "call.video_joined",
                    by=by,
                    text=f"{_name(by)} joined the video as {side}.",
                    session=session.pk,
                    side=side,
                )
            other = session.clinician_joined_at if side == "officer" else session.officer_joined_at
            if other is not None and session.connected_at is None:
                session.connected_at = now
            session.save()
            consult.version += 1
            consult.save(update_fields=["version"])
            _publish(consult)
    except IntegrityError as exc:  # another socket opened the session a moment before: one open session only
        raise Conflict("The video call was just started from elsewhere: try again.") from exc
    return session, other is not None


def video_session_end(*, consult: Consult, by: User | None, reason: str, now=None) -> VideoSession | None:
    """End the consult's open video session (hang-up, a lost connection, the consult closed). Safe to repeat:
    with no session open it does nothing and returns None."""
    now = now or timezone.now()
    with transaction.atomic():
        consult = _lock(consult.pk)
        return _video_end(consult, by=by, reason=reason, now=now)


def _video_end(consult: Consult, *, by: User | None, reason: str, now) -> VideoSession | None:
    """With the consult locked by the caller."""
    session = VideoSession.objects.select_for_update().filter(consult=consult, ended_at__isnull=True).first()
    if session is None:
        return None
    session.ended_at = now
    session.ended_by = by
    session.end_reason = VideoEnd(reason)
    session.duration_seconds = round((now - session.connected_at).total_seconds()) if session.connected_at else 0
    session.save()
    consult.video_seconds += session.duration_seconds
    consult.version += 1
    consult.save(update_fields=["video_seconds", "version"])
    audit.record(
        actor=by,
        action="le_consult.video.ended",
        obj=consult,
        session=session.pk,
        reason=session.end_reason,
        duration_seconds=session.duration_seconds,
    )
    how = _END_TEXT[session.end_reason].format(name=_name(by))
    connected = (
        f"connected {_duration(session.duration_seconds)}" if session.connected_at else "the two never connected"
    )
    _on_call_timeline(
        consult,
        "call.video_ended",
        by=by,
        text=f"Video consult ended: {how}; {connected}.",
        session=session.pk,
        reason=session.end_reason,
        duration_seconds=session.duration_seconds,
    )
    _publish(consult)
    return session
