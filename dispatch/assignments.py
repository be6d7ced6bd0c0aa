"""Offers and assignments: a team is offered a call, accepts or declines, works it, is withdrawn.

Lock order everywhere: the call, then the assignment, then the team, so an
accept racing a lapse or a reassignment waits instead of deadlocking. The
partial unique constraints on Assignment are the last line of defence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis import languages, permissions
from crisis.errors import Conflict, InvalidInput, InvalidTransition, NeedsConfirmation
from crisis.models import User
from responders.models import Team, TeamStatus

from . import interpreter, jobs, reoffer, selectors
from .models import ACTIVE_ASSIGNMENT, ASSIGNABLE, WITHDRAWABLE, Assignment, AssignmentStatus, Call, Status
from .team_state import claim_team, set_team_status
from .timeline import lock_call, record_event, transition


def assignment_offer(
    *,
    call: Call,
    team: Team,
    by: User | None = None,
    eta_seconds: float | None = None,
    unsaved: Sequence[str] = (),
) -> Assignment:
    """Offer a locked, waiting call to a team. Raises Conflict if the team was taken meanwhile (writing nothing).

    `unsaved`: fields the caller changed on the call (the router's explanation), written with the offer's row
    instead of a statement of their own; on a Conflict they are still the caller's to save."""
    if call.status != Status.AWAITING_TEAM:
        raise InvalidTransition("Only a call awaiting a team can be offered.")
    try:
        # One savepoint for the claim and the offer: a claim lost to a racer writes nothing, and an offer the
        # constraints refuse takes its claim (and the claim's audit row and event) back with it, so a caller
        # that carries on after the Conflict (the router, with its other calls) needs no savepoint of its own.
        with transaction.atomic():
            if not claim_team(
                team, from_statuses=(TeamStatus.AVAILABLE,), to=TeamStatus.OFFERED, by=by, call_id=call.pk
            ):
                raise Conflict(f"{team.name} is no longer available.")
            now = timezone.now()
            assignment = Assignment.objects.create(
                call=call,
                team=team,
                by=by,
                offered_at=now,
                expires_at=now + timedelta(seconds=settings.OFFER_TIMEOUT_SECONDS),
                eta_seconds=eta_seconds,
            )
    except IntegrityError as exc:
        raise Conflict("This call or team already has an active assignment.") from exc
    unsaved = list(unsaved)
    if call.recommended_team_id is not None:
        call.recommended_team = None
        unsaved.append("recommended_team")
    assignment.team = team
    unsaved = _set_interpreter_line(call, team, by=by, unsaved=unsaved)
    record_event(
        call,
        "call.offered",
        by=by,
        team=team,
        active=assignment,
        unsaved=unsaved,
        assignment_id=assignment.pk,
        expires_at=assignment.expires_at.isoformat(),
        eta_seconds=None if eta_seconds is None else round(eta_seconds),
    )
    jobs.enqueue_offer_expiry(assignment_id=assignment.pk, seconds=settings.OFFER_TIMEOUT_SECONDS)
    jobs.enqueue_offer_push(assignment_id=assignment.pk)
    return assignment


def _set_interpreter_line(call: Call, team: Team, *, by: User | None, unsaved: list[str]) -> list[str]:
    """Whether `team` needs the interpreter line for `call` (dispatch/interpreter.py), kept on the call and,
    when it does, said on the timeline (the next event publishes the row that shows it). Returns the fields
    still unsaved: an event of its own writes them with its row."""
    line = interpreter.line_for(call, team)
    if line != call.interpreter_line:
        call.interpreter_line = line
        unsaved = [*unsaved, "interpreter_line"]
    if line:
        record_event(
            call,
            "call.interpreter_line",
            by=by,
            team=team,
            unsaved=unsaved,
            language=line,
            text=f"{team.name} has no {languages.name(line)} speaker: use the interpreter line",
        )
        return []
    return unsaved


def clear_interpreter_line(call: Call) -> None:
    """The team that needed the interpreter line no longer has the call (withdrawn, pulled back, declined,
    lapsed): the note goes with it, in the same row the ending event publishes. Kept, it would tell the desk
    that a line is arranged while nobody is on the call; the timeline keeps when it was needed, and the next
    offer decides again (_set_interpreter_line)."""
    if call.interpreter_line:
        call.interpreter_line = ""
        call.save(update_fields=["interpreter_line"])


def lock_assignment(assignment: Assignment | int) -> Assignment:
    pk = assignment.pk if isinstance(assignment, Assignment) else assignment
    return Assignment.objects.select_for_update().select_related("team", "call").get(pk=pk)


def _require_answerer(assignment: Assignment, by: User | None) -> None:
    permissions.require(
        permissions.may_answer_offer,
        by,
        assignment.team,
        f"Only a member of {assignment.team.name} can answer its offers.",
    )


def assignment_accept(*, assignment: Assignment, by: User | None) -> Assignment:
    lapsed = False
    with transaction.atomic():
        call = lock_call(assignment.call_id)
        assignment = lock_assignment(assignment)
        _require_answerer(assignment, by)
        now = timezone.now()
        if assignment.status != AssignmentStatus.OFFERED:
            raise InvalidTransition(f"This offer is already {assignment.get_status_display().lower()}.")
        if assignment.expires_at and assignment.expires_at <= now:
            # Lapse it for good (and re-route) before refusing: raising inside
            # the block would roll the lapse back and leave the call stuck.
            end_offer(assignment, AssignmentStatus.LAPSED, now, by=None)
            lapsed = True
        else:
            assignment.status = AssignmentStatus.ACCEPTED
            assignment.responded_at = now
            assignment.save(update_fields=["status", "responded_at"])
            team = assignment.team
            set_team_status(team, TeamStatus.ASSIGNED, now, by=by, call_id=call.pk)
            call.team = team
            call.program_id = team.program_id
            call.assigned_at = now
            transition(call, Status.ASSIGNED, by=by, kind="call.accepted", team=team, assignment_id=assignment.pk)
    if lapsed:
        raise Conflict("This offer has lapsed and gone to another team.")
    return assignment


def assignment_decline(*, assignment: Assignment, by: User | None, reason: str) -> Assignment:
    if not reason.strip():
        raise InvalidInput("Give a reason for declining.", field="reason")
    with transaction.atomic():
        lock_call(assignment.call_id)
        assignment = lock_assignment(assignment)
        _require_answerer(assignment, by)
        if assignment.status != AssignmentStatus.OFFERED:
            raise InvalidTransition(f"This offer is already {assignment.get_status_display().lower()}.")
        assignment.decline_reason = reason.strip()[:200]
        end_offer(assignment, AssignmentStatus.DECLINED, timezone.now(), by=by)
    return assignment


def assignment_lapse(*, assignment_id: int) -> bool:
    """Lapse an unanswered offer whose time is up. Safe to run any number of times."""
    call_id = Assignment.objects.filter(pk=assignment_id).values_list("call_id", flat=True).first()
    if call_id is None:
        return False
    with transaction.atomic():
        # Call first, then assignment: the order accept and decline use, so a
        # lapse racing a tap on "accept" waits instead of deadlocking.
        lock_call(call_id)
        assignment = lock_assignment(assignment_id)
        now = timezone.now()
        if assignment.status != AssignmentStatus.OFFERED or assignment.expires_at > now:
            return False
        end_offer(assignment, AssignmentStatus.LAPSED, now, by=None)
    return True


def end_offer(assignment: Assignment, status: str, now, *, by: User | None) -> None:
    assignment.status = status
    assignment.responded_at = now
    assignment.save(update_fields=["status", "responded_at", "decline_reason"])
    team = assignment.team
    if team.status == TeamStatus.OFFERED:
        set_team_status(team, TeamStatus.AVAILABLE, now, by=by, call_id=assignment.call_id)
    kind = "call.offer_declined" if status == AssignmentStatus.DECLINED else "call.offer_lapsed"
    clear_interpreter_line(assignment.call)
    record_event(assignment.call, kind, by=by, team=team, assignment_id=assignment.pk, reason=assignment.decline_reason)
    escalate_if_refused(assignment.call, now)
    _route_now_and_after_cooldown(assignment.call.region)


def _route_now_and_after_cooldown(region: str) -> None:
    """Another team may take the call now; the refusing team may, once its cool-down ends (reoffer.py)."""
    jobs.enqueue_routing(region=region)
    if settings.REOFFER_COOLDOWN_SECONDS > 0:
        # The sweep would find it too, up to a sweep interval later.
        jobs.enqueue_routing(region=region, delay_seconds=settings.REOFFER_COOLDOWN_SECONDS + 0.5)


def escalate_if_refused(call: Call, now) -> bool:
    """Escalate a locked call, once per wait, whose offers were declined or let lapse too often."""
    since = call.awaiting_since or call.received_at
    refused = list(
        Assignment.objects.filter(call_id=call.pk, status__in=reoffer.ESCALATING, responded_at__gte=since)
        .order_by("responded_at", "id")
        .values_list("team__name", "status")
    )
    threshold = settings.REOFFER_ESCALATE_AFTER
    if not reoffer.should_escalate(
        [status for _, status in refused], threshold=threshold, already_escalated=call.escalated_at is not None
    ):
        return False
    call.escalated_at = now
    Call.objects.filter(pk=call.pk).update(escalated_at=now)
    who = ", ".join(f"{name} {reoffer.REFUSAL_LABELS[status]}" for name, status in refused)
    record_event(call, "call.escalated", by=None, refusals=len(refused), reason=f"Refused {len(refused)} times: {who}")
    return True


def withdraw(assignment: Assignment, now, *, by: User | None, status: str = AssignmentStatus.WITHDRAWN) -> None:
    """End an active offer or assignment and release its team (locks: the call first, then this)."""
    assignment.status = status
    assignment.ended_at = now
    assignment.save(update_fields=["status", "ended_at"])
    team = Team.objects.select_for_update().get(pk=assignment.team_id)
    if team.status in (TeamStatus.OFFERED, TeamStatus.ASSIGNED, TeamStatus.ON_SCENE, TeamStatus.TRANSPORTING):
        set_team_status(team, TeamStatus.AVAILABLE, now, by=by, call_id=assignment.call_id)
    if status == AssignmentStatus.RECALLED:
        _route_now_and_after_cooldown(team.region)
    else:
        jobs.enqueue_routing(region=team.region)


def withdraw_offer(call: Call, now, *, by: User | None, reason: str) -> Assignment | None:
    """Withdraw a locked call's unanswered offer, if any, because the call itself changed (re-triage,
    resolution by phone). An offer is no commitment yet, and the team is not to blame: no cool-down."""
    if call.status != Status.AWAITING_TEAM:
        return None  # offers are made only to a call awaiting a team, and end when it leaves that state
    offer = call.assignments.select_for_update().select_related("team").filter(status=AssignmentStatus.OFFERED).first()
    if offer is None:
        return None
    withdraw(offer, now, by=by)
    clear_interpreter_line(call)
    record_event(call, "call.offer_withdrawn", by=by, team=offer.team, assignment_id=offer.pk, reason=reason)
    return offer


def assignment_withdraw(*, assignment: Assignment, by: User | None, reason: str) -> Assignment:
    """The dispatch desk withdraws an offer or pulls back an assigned team, before it is on scene.

    The call is awaiting a team again and goes back to routing; the team is free, and sits out the
    re-offer cool-down for this call (reoffer.py). Losing a race (the team answered, the call moved on
    scene) is a Conflict: the desk reloads and sees what happened.
    """
    if not reason.strip():
        raise InvalidInput("Give a reason for withdrawing the team.", field="reason")
    permissions.require(permissions.may_dispatch, by, assignment, "Only the dispatch desk can withdraw a team.")
    with transaction.atomic():
        call = lock_call(assignment.call_id)
        assignment = lock_assignment(assignment)
        if assignment.status not in ACTIVE_ASSIGNMENT:
            raise Conflict(f"This offer is already {assignment.get_status_display().lower()}.")
        if call.status not in WITHDRAWABLE:
            raise Conflict(
                f"The call is {call.get_status_display().lower()}: a team on scene can no longer be pulled back."
            )
        now = timezone.now()
        team = assignment.team
        was_offer = assignment.status == AssignmentStatus.OFFERED
        withdraw(assignment, now, by=by, status=AssignmentStatus.RECALLED)
        detail = {"assignment_id": assignment.pk, "reason": reason.strip()[:200]}
        clear_interpreter_line(call)
        if was_offer:
            record_event(call, "call.offer_withdrawn", by=by, team=team, **detail)
        else:
            call.team = None
            transition(call, Status.AWAITING_TEAM, by=by, kind="call.pulled_back", team=team, **detail)
    return assignment


def finish_assignment(call: Call, team: Team, now, *, by: User | None) -> None:
    Assignment.objects.filter(call=call, team=team, status=AssignmentStatus.ACCEPTED).update(
        status=AssignmentStatus.COMPLETED, ended_at=now
    )
    set_team_status(team, TeamStatus.AVAILABLE, now, by=by, call_id=call.pk)
    jobs.enqueue_routing(region=team.region)


def call_assign(*, call: Call, team: Team, by: User, reason: str, confirm_gaps: bool = False) -> Assignment:
    """A dispatcher assigns (or reassigns) a team by hand; the team is dispatched at once.

    A team that lacks what the call needs (a skill, the language, police pairing for a weapons call) is refused
    with the gaps listed, until the dispatcher confirms them (`confirm_gaps`); the timeline then keeps the gaps
    with the reason.
    """
    if not reason.strip():
        raise InvalidInput("Give a reason for assigning by hand.", field="reason")
    with transaction.atomic():
        call = lock_call(call)
        team = Team.objects.select_for_update().get(pk=team.pk)
        if call.status not in ASSIGNABLE:
            raise InvalidTransition(f"A call that is {call.get_status_display().lower()} cannot be assigned.")
        if call.team_id == team.pk and call.status in (Status.ASSIGNED, Status.EN_ROUTE):
            raise Conflict(f"{team.name} is already assigned to this call.")
        if team.status in (TeamStatus.OFF_SHIFT, TeamStatus.OUT_OF_SERVICE):
            raise Conflict(f"{team.name} is {team.get_status_display().lower()}.")
        if Assignment.objects.filter(team=team, status__in=("offered", "accepted")).exclude(call=call).exists():
            raise Conflict(f"{team.name} is busy with another call.")
        now = timezone.now()
        gaps = selectors.assignment_gaps(call, team, now=now)
        if gaps and not confirm_gaps:
            raise NeedsConfirmation(
                f"{team.name} lacks what this call needs: {'; '.join(gaps)}. Confirm to assign anyway.",
                reasons=gaps,
                field="confirm_gaps",
            )
        active = call.assignments.select_for_update().filter(status__in=("offered", "accepted")).first()
        if active is not None:
            withdraw(active, now, by=by)
        if call.status in (Status.ASSIGNED, Status.EN_ROUTE):
            transition(call, Status.AWAITING_TEAM, by=by, kind="call.reassigning", reason=reason)
        if call.status == Status.TRIAGED:
            transition(call, Status.AWAITING_TEAM, by=by, kind="call.awaiting_team")
        if not claim_team(team, from_statuses=(TeamStatus.AVAILABLE,), to=TeamStatus.ASSIGNED, by=by, call_id=call.pk):
            raise Conflict(f"{team.name} is no longer available.")
        try:
            with transaction.atomic():
                assignment = Assignment.objects.create(
                    call=call,
                    team=team,
                    by=by,
                    status=AssignmentStatus.ACCEPTED,
                    offered_at=now,
                    responded_at=now,
                    manual_reason=reason.strip()[:200],
                )
        except IntegrityError as exc:
            raise Conflict("This call or team already has an active assignment.") from exc
        call.team = team
        call.program_id = team.program_id
        call.assigned_at = now
        call.recommended_team = None
        _set_interpreter_line(call, team, by=by, unsaved=[])  # what it leaves unsaved, the transition writes
        transition(
            call,
            Status.ASSIGNED,
            by=by,
            kind="call.assigned_manually",
            team=team,
            assignment_id=assignment.pk,
            reason=reason.strip(),
            **({"confirmed_gaps": gaps} if gaps else {}),
        )
    return assignment


def call_confirm_recommendation(*, call: Call, by: User) -> Assignment:
    """Recommend-only mode: the dispatcher confirms the router's choice with one action."""
    with transaction.atomic():
        call = lock_call(call)
        if call.recommended_team_id is None:
            raise InvalidTransition("There is no recommendation to confirm; route or assign the call.")
        team = Team.objects.get(pk=call.recommended_team_id)
        eta = (call.routing_explanation.get("chosen") or {}).get("eta_seconds")
        return assignment_offer(call=call, team=team, by=by, eta_seconds=eta)


FIELD_STEPS = {
    Status.EN_ROUTE: (TeamStatus.ASSIGNED, "call.en_route"),
    Status.ON_SCENE: (TeamStatus.ON_SCENE, "call.on_scene"),
    Status.TRANSPORTING: (TeamStatus.TRANSPORTING, "call.transporting"),
}


def call_advance(
    *, call: Call, to: str, by: User | None, expected_status: str | None = None, destination: str = ""
) -> Call:
    """A team reports progress on its call. `expected_status` guards against replayed, out-of-order taps.

    Transporting names where the person is taken: the desk and the follow-up need to know where to find them.
    """
    if to not in FIELD_STEPS:
        raise InvalidInput(f"{to!r} is not a field status.", field="status")
    destination = (destination or "").strip()
    if to == Status.TRANSPORTING and not destination:
        raise InvalidInput("Say where the person is being taken.", field="destination")
    with transaction.atomic():
        call = lock_call(call)
        # Permission before anything else: another team's call state must not leak through a 409.
        permissions.require(permissions.may_work_call, by, call, "Only the team assigned to this call can do this.")
        if expected_status is not None and expected_status != call.status:
            raise Conflict(
                f"This change was made against an old view: the call is now {call.get_status_display().lower()}."
            )
        if call.team_id is None:
            raise InvalidTransition("No team is assigned to this call.")
        team = Team.objects.select_for_update().get(pk=call.team_id)
        team_status, kind = FIELD_STEPS[to]
        extra = {}
        if to == Status.TRANSPORTING:
            call.transport_destination = destination[:200]
            extra["destination"] = call.transport_destination
        transition(call, to, by=by, kind=kind, team=team, **extra)
        now = timezone.now()
        if to == Status.ON_SCENE and call.arrived_at is None:
            call.arrived_at = now
            call.save(update_fields=["arrived_at"])
        if team.status != team_status:
            set_team_status(team, team_status, now, by=by, call_id=call.pk)
    return call
