"""A FACT team's caseload: enrolment (with the eligibility FACT requires), contacts, treatment-plan goals, outcomes
after enrolment, discharge with a reason, and the team's 24/7 on-call rota. Every write checks the permission source
and is audited."""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis import audit, permissions
from crisis.errors import Conflict, InvalidInput, InvalidTransition

from .models import (
    Contact,
    ContactMethod,
    DischargeReason,
    Enrollment,
    Goal,
    GoalStatus,
    JusticeInvolvement,
    OnCallShift,
    OutcomeEvent,
    OutcomeKind,
)

NOTE_MAX = 4000
PLAN_MAX = 2000
GOAL_MAX = 300
COUNT_MAX = 3660  # ten years of days: anything above is a typing slip, not a history
FACT_KIND = "fact"


def _text(value: str, *, field: str, limit: int, required: bool = False, label: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{label or field.replace('_', ' ').capitalize()} is required.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"At most {limit:,} characters.", field=field)
    return value


def _count(value: int, *, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= COUNT_MAX:
        raise InvalidInput(f"A whole number from 0 to {COUNT_MAX}.", field=field)
    return value


def _open(enrollment: Enrollment) -> Enrollment:
    if enrollment.discharged_on is not None:
        raise InvalidTransition("This client is discharged; re-enrol them to record more.")
    return enrollment


def enrollment_create(
    *,
    person,
    team,
    by,
    serious_mental_illness: bool,
    justice_involvement: str,
    diagnosis: str = "",
    eligibility_note: str = "",
    arrests_before: int = 0,
    jail_days_before: int = 0,
    hospital_days_before: int = 0,
    crisis_plan: str = "",
    enrolled_on: date | None = None,
) -> Enrollment:
    """Enrol a client whose eligibility is recorded: a serious mental illness and justice involvement."""
    if team.program.kind != FACT_KIND:
        raise InvalidInput(f"{team.name} is not a FACT team.", field="team")
    permissions.require(
        permissions.may_enrol_on_team, by, team, "Only the team's members or a supervisor may enrol clients."
    )
    if serious_mental_illness is not True:
        raise InvalidInput(
            "FACT serves people with a serious mental illness: confirm it.", field="serious_mental_illness"
        )
    if justice_involvement not in JusticeInvolvement.values:
        raise InvalidInput("Say how the person is involved with the justice system.", field="justice_involvement")
    enrolled_on = enrolled_on or timezone.localdate()
    if enrolled_on > timezone.localdate():
        raise InvalidInput("The enrolment date cannot be in the future.", field="enrolled_on")
    fields = dict(
        diagnosis=_text(diagnosis, field="diagnosis", limit=200),
        eligibility_note=_text(eligibility_note, field="eligibility_note", limit=NOTE_MAX),
        crisis_plan=_text(crisis_plan, field="crisis_plan", limit=PLAN_MAX),
        arrests_before=_count(arrests_before, field="arrests_before"),
        jail_days_before=_count(jail_days_before, field="jail_days_before"),
        hospital_days_before=_count(hospital_days_before, field="hospital_days_before"),
    )
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                person=person,
                team=team,
                enrolled_on=enrolled_on,
                enrolled_by=by,
                serious_mental_illness=True,
                justice_involvement=justice_involvement,
                **fields,
            )
            audit.record(
                actor=by,
                action="fact.enrollment.created",
                obj=enrollment,
                person=person.pk,
                team=team.pk,
                justice_involvement=justice_involvement,
            )
    except IntegrityError as exc:  # the partial unique constraint: one open enrollment per person
        raise Conflict(f"{person} is already enrolled with a FACT team.") from exc
    return enrollment


def enrollment_discharge(
    *, enrollment: Enrollment, by, reason: str, note: str = "", discharged_on: date | None = None
) -> Enrollment:
    permissions.require(
        permissions.may_work_enrollment, by, enrollment, "Only the client's team or a supervisor may discharge."
    )
    if reason not in DischargeReason.values:
        raise InvalidInput("Give the reason for the discharge.", field="reason")
    note = _text(note, field="note", limit=NOTE_MAX)
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if enrollment.discharged_on is not None:
            raise InvalidTransition("This client is already discharged.")
        enrollment.discharged_on = discharged_on or timezone.localdate()
        if enrollment.discharged_on < enrollment.enrolled_on:
            raise InvalidInput("Discharge cannot be before enrolment.", field="discharged_on")
        if enrollment.discharged_on > timezone.localdate():
            raise InvalidInput("The discharge date cannot be in the future.", field="discharged_on")
        enrollment.discharge_reason = reason
        enrollment.discharge_note = note
        enrollment.save(update_fields=["discharged_on", "discharge_reason", "discharge_note"])
        audit.record(
            actor=by, action="fact.enrollment.discharged", obj=enrollment, person=enrollment.person_id, reason=reason
        )
    return enrollment


def care_plan_update(*, enrollment: Enrollment, by, crisis_plan: str) -> Enrollment:
    """The crisis plan a responder's phone shows on a call about the client."""
    permissions.require(permissions.may_work_enrollment, by, enrollment, "Only the client's team may edit the plan.")
    _open(enrollment)
    enrollment.crisis_plan = _text(crisis_plan, field="crisis_plan", limit=PLAN_MAX)
    with transaction.atomic():
        Enrollment.objects.filter(pk=enrollment.pk).update(crisis_plan=enrollment.crisis_plan)
        audit.record(actor=by, action="fact.care_plan.updated", obj=enrollment, person=enrollment.person_id)
    return enrollment


def contact_record(
    *, enrollment: Enrollment, by, method: str, reached: bool = True, note: str = "", at: datetime | None = None
) -> Contact:
    permissions.require(permissions.may_work_enrollment, by, enrollment, "Only the client's team may record contacts.")
    _open(enrollment)
    if method not in ContactMethod.values:
        raise InvalidInput(f"Unknown contact method {method!r}.", field="method")
    if not isinstance(reached, bool):
        raise InvalidInput("Say whether the client was reached.", field="reached")
    now = timezone.now()
    at = at or now
    if at > now:
        raise InvalidInput("A contact cannot be in the future.", field="at")
    with transaction.atomic():
        contact = Contact.objects.create(
            enrollment=enrollment,
            at=at,
            by=by,
            method=method,
            reached=reached,
            note=_text(note, field="note", limit=NOTE_MAX),
        )
        audit.record(actor=by, action="fact.contact.recorded", obj=contact, person=enrollment.person_id, method=method)
    return contact


def goal_add(*, enrollment: Enrollment, by, text: str, target_on: date | None = None) -> Goal:
    permissions.require(permissions.may_work_enrollment, by, enrollment, "Only the client's team may add goals.")
    _open(enrollment)
    text = _text(text, field="text", limit=GOAL_MAX, required=True, label="The goal")
    if target_on is not None and target_on < enrollment.enrolled_on:
        raise InvalidInput("The target date cannot be before enrolment.", field="target_on")
    with transaction.atomic():
        goal = Goal.objects.create(enrollment=enrollment, text=text, target_on=target_on, updated_by=by)
        audit.record(actor=by, action="fact.goal.added", obj=goal, person=enrollment.person_id)
    return goal


def goal_set_status(*, goal: Goal, by, status: str) -> Goal:
    permissions.require(permissions.may_work_enrollment, by, goal.enrollment, "Only the client's team may do this.")
    _open(goal.enrollment)
    if status not in GoalStatus.values:
        raise InvalidInput(f"Unknown goal status {status!r}.", field="status")
    with transaction.atomic():
        current = Goal.objects.select_for_update().get(pk=goal.pk)
        before = current.status
        if before == status:
            raise InvalidTransition(f"The goal is already “{current.get_status_display().lower()}”.")
        current.status, current.updated_at, current.updated_by = status, timezone.now(), by
        current.save(update_fields=["status", "updated_at", "updated_by"])
        audit.record(
            actor=by,
            action="fact.goal.status_changed",
            obj=current,
            person=goal.enrollment.person_id,
            from_status=before,
            to_status=status,
        )
    return current


def outcome_record(*, enrollment: Enrollment, by, kind: str, on: date, days: int = 0, note: str = "") -> OutcomeEvent:
    """An arrest, jail stay or hospital stay after enrolment (before enrolment the intake counts hold them)."""
    permissions.require(permissions.may_work_enrollment, by, enrollment, "Only the client's team may record this.")
    if kind not in OutcomeKind.values:
        raise InvalidInput(f"Unknown outcome {kind!r}.", field="kind")
    if on < enrollment.enrolled_on:
        raise InvalidInput("Before enrolment: that belongs in the intake counts.", field="on")
    if on > timezone.localdate():
        raise InvalidInput("The date cannot be in the future.", field="on")
    if enrollment.discharged_on is not None and on > enrollment.discharged_on:
        raise InvalidInput("After discharge: not part of this enrolment.", field="on")
    days = _count(days, field="days")
    if kind == OutcomeKind.ARREST:
        days = 0
    elif days < 1:
        raise InvalidInput("A stay lasts at least one day.", field="days")
    with transaction.atomic():
        event = OutcomeEvent.objects.create(
            enrollment=enrollment,
            kind=kind,
            on=on,
            days=days,
            note=_text(note, field="note", limit=300),
            recorded_by=by,
        )
        audit.record(
            actor=by, action="fact.outcome.recorded", obj=event, person=enrollment.person_id, kind=kind, days=days
        )
    return event


def on_call_add(*, team, member, starts_at: datetime, ends_at: datetime, by) -> OnCallShift:
    """Put a team member on call. Shifts of one team never overlap: at any moment one person carries the phone."""
    permissions.require(permissions.may_keep_on_call_rota, by, team, "Only a supervisor may change the on-call rota.")
    if team.program.kind != FACT_KIND:
        raise InvalidInput(f"{team.name} is not a FACT team.", field="team")
    if not permissions.is_active_member_of_team.test(member, team) or not member.is_active:
        raise InvalidInput(
            f"{member.get_full_name() or member} is not an active member of {team.name}.", field="member"
        )
    if ends_at <= starts_at:
        raise InvalidInput("The shift must end after it starts.", field="ends_at")
    if ends_at <= timezone.now():
        raise InvalidInput("This shift is already over.", field="ends_at")
    with transaction.atomic():
        # Lock the team's row so two supervisors adding shifts at once cannot both pass the overlap check.
        type(team).objects.select_for_update().filter(pk=team.pk).first()
        clash = OnCallShift.objects.filter(team=team, starts_at__lt=ends_at, ends_at__gt=starts_at).first()
        if clash is not None:
            raise Conflict(
                f"Overlaps {clash.member.get_full_name() or clash.member}'s shift "
                f"{timezone.localtime(clash.starts_at):%a %d %b %H:%M}–{timezone.localtime(clash.ends_at):%a %H:%M}."
            )
        shift = OnCallShift.objects.create(
            team=team, member=member, starts_at=starts_at, ends_at=ends_at, created_by=by
        )
        audit.record(
            actor=by,
            action="fact.on_call.added",
            obj=shift,
            team=team.pk,
            member=member.pk,
            starts_at=starts_at.isoformat(),
            ends_at=ends_at.isoformat(),
        )
    return shift
