"""Everything that can happen to a call. Grep `def call_` / `def assignment_`.

Every status change goes through `_transition`, which checks the lifecycle
table in models.TRANSITIONS, writes the timeline event and publishes it after
commit. Rows are locked (`select_for_update`) for the whole of a change, and
team claims are conditional UPDATEs, so two workers or a worker and a
dispatcher can never both win; the partial unique constraints on Assignment
are the last line of defence.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from crisis import audit
from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import Person, User
from responders.models import Team, TeamStatus

from . import events, jobs, live, standards, triage
from .models import (
    FIELD_TIERS,
    TRANSITIONS,
    Assignment,
    AssignmentStatus,
    Call,
    CallEvent,
    Disposition,
    Status,
    Tier,
    Triage,
)


# --- helpers ---------------------------------------------------------------
def _lock_call(call: Call | int) -> Call:
    pk = call.pk if isinstance(call, Call) else call
    return Call.objects.select_for_update().get(pk=pk)


def _groups_for(call: Call, team_id: int | None = None) -> list[str]:
    groups = [events.dispatch_group(call.region), events.SUPERVISORS_GROUP]
    if team_id:
        groups.append(events.team_group(team_id))
    return groups


def call_summary(call: Call) -> dict[str, Any]:
    """What a live board needs to redraw one call row."""
    return {
        "id": call.pk,
        "status": call.status,
        "priority": call.priority,
        "tier": call.tier,
        "call_type": call.call_type,
        "nature": call.nature,
        "address": call.address,
        "latitude": call.latitude,
        "longitude": call.longitude,
        "received_at": call.received_at.isoformat(),
        "awaiting_since": call.awaiting_since.isoformat() if call.awaiting_since else None,
        "team_id": call.team_id,
        "recommended_team_id": call.recommended_team_id,
        "unrouted_flagged_at": call.unrouted_flagged_at.isoformat() if call.unrouted_flagged_at else None,
        "version": call.version,
        # Running standards clocks; the board ticks them and highlights a call about to breach.
        "standards": live_clocks(call),
        # The offer or assignment in force, so a board can redraw the row from this event alone.
        "assignment": live.active_assignment_row(call),
    }


# The response clocks a board watches; the 72-hour follow-up belongs to case work, not the live board.
LIVE_STANDARDS = ("answer", "dispatch", "arrival")
# Clocks whose near-breach is pushed to the boards as a timeline event by the sweep.
PUSHED_STANDARDS = ("dispatch", "arrival")


def live_clocks(call: Call) -> list[dict[str, Any]]:
    if not call.is_open:
        return []
    configured = standards.configured_standards()
    near = {s.key: s.near_fraction for s in configured}
    return [
        {
            "key": c.key,
            "label": c.label,
            "started_at": c.started_at.isoformat(),
            "near_at": (c.started_at + timedelta(seconds=c.target_seconds * near[c.key])).isoformat(),
            "target_at": c.target_at.isoformat(),
        }
        for c in standards.clocks_for(call, timezone.now(), configured)
        if not c.stopped and c.key in LIVE_STANDARDS
    ]


def _event(
    call: Call,
    kind: str,
    *,
    by: User | None,
    from_status: str = "",
    to_status: str = "",
    team: Team | None = None,
    **detail: Any,
) -> CallEvent:
    Call.objects.filter(pk=call.pk).update(version=F("version") + 1)
    call.refresh_from_db(fields=["version"])
    ev = CallEvent.objects.create(
        call=call,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=by,
        team=team,
        detail=detail,
    )
    audit.record(actor=by, action=f"dispatch.{kind}", obj=call, **detail)
    events.publish(
        kind,
        {"call": call_summary(call), "event": {"kind": kind, "team_id": team.pk if team else None, **detail}},
        groups=_groups_for(call, team.pk if team else call.team_id),
    )
    return ev


def _transition(call: Call, to: str, *, by: User | None, kind: str, team: Team | None = None, **detail) -> None:
    """Move a locked call to `to`, or refuse with a clear error."""
    if to not in TRANSITIONS[call.status]:
        raise InvalidTransition(
            f"A call that is {call.get_status_display().lower()} cannot become {Status(to).label.lower()}."
        )
    now = timezone.now()
    before = call.status
    call.status = to
    call.status_changed_at = now
    if to == Status.AWAITING_TEAM:
        if before in (Status.ASSIGNED, Status.EN_ROUTE):
            # Back in the queue after a team was withdrawn: a new wait, with its own flag.
            call.awaiting_since = now
            call.unrouted_flagged_at = None
        call.awaiting_since = call.awaiting_since or now
    call.save()
    _event(call, kind, by=by, from_status=before, to_status=to, team=team, **detail)


# --- intake and triage -----------------------------------------------------------
def call_create(*, by: User | None, person: Person | None = None, **fields: Any) -> Call:
    call = Call(created_by=by, person=person, **fields)
    call.full_clean(exclude=["address_key"])
    with transaction.atomic():
        call.save()
        _event(call, "call.created", by=by, to_status=call.status, source=call.source)
    return call


def call_triage(
    *,
    call: Call,
    screen: dict[str, bool],
    by: User | None,
    tier_override: str | None = None,
    override_reason: str = "",
) -> Triage:
    """Score the risk screen, record it, and move the call on.

    A field tier sends the call to routing; phone and police/EMS tiers wait for
    the dispatcher to resolve or hand off the call.
    """
    outcome = triage.evaluate(screen)
    tier = outcome.tier
    if tier_override and tier_override != outcome.tier:
        if tier_override not in Tier.values:
            raise InvalidInput(f"Unknown tier {tier_override!r}.", field="tier_override")
        if not override_reason.strip():
            raise InvalidInput("Give a reason for overriding the tier.", field="override_reason")
        tier = tier_override
    with transaction.atomic():
        call = _lock_call(call)
        if call.status not in (Status.RECEIVED, Status.TRIAGED, Status.AWAITING_TEAM):
            raise InvalidTransition(f"A call that is {call.get_status_display().lower()} cannot be triaged.")
        if call.status == Status.AWAITING_TEAM and call.assignments.filter(status__in=("offered", "accepted")).exists():
            raise InvalidTransition("Withdraw the current offer before re-triaging this call.")
        result = Triage.objects.create(
            call=call,
            by=by,
            priority=outcome.priority,
            computed_tier=outcome.tier,
            tier=tier,
            rules_fired=list(outcome.rules_fired),
            override_reason=override_reason.strip() if tier != outcome.tier else "",
            **{name: bool(screen.get(name, False)) for name in triage.SCREEN_FIELDS},
        )
        call.priority = outcome.priority
        call.tier = tier
        call.triaged_at = call.triaged_at or result.at
        detail = {"priority": outcome.priority, "tier": tier, "rules": list(outcome.rules_fired)}
        if tier != outcome.tier:
            detail |= {"computed_tier": outcome.tier, "override_reason": result.override_reason}
            audit.record(actor=by, action="dispatch.call.tier_overridden", obj=call, **detail)
        _transition(call, Status.TRIAGED, by=by, kind="call.triaged", **detail)
        if tier in FIELD_TIERS:
            _transition(call, Status.AWAITING_TEAM, by=by, kind="call.awaiting_team")
            jobs.enqueue_routing(region=call.region)
        else:
            call.awaiting_since = None
            call.save(update_fields=["awaiting_since"])
    return result


def call_resolve_by_phone(*, call: Call, by: User | None, note: str = "") -> Call:
    with transaction.atomic():
        call = _lock_call(call)
        _require_no_active_assignment(call)
        _transition(call, Status.RESOLVED_BY_PHONE, by=by, kind="call.resolved_by_phone", note=note)
    return call


def call_close(*, call: Call, disposition: str, by: User | None, note: str = "") -> Call:
    if disposition not in Disposition.values:
        raise InvalidInput("Choose a disposition to close the call.", field="disposition")
    with transaction.atomic():
        call = _lock_call(call)
        if call.status in (Status.TRIAGED, Status.AWAITING_TEAM):
            _require_no_active_assignment(call)
        team = call.team if call.status in (Status.ON_SCENE, Status.TRANSPORTING) else None
        now = timezone.now()
        call.disposition = disposition
        call.closed_at = now
        _transition(call, Status.CLOSED, by=by, kind="call.closed", team=team, disposition=disposition, note=note)
        if team is not None:
            _finish_assignment(call, team, now)
    return call


def call_clear(
    *, call: Call, disposition: str, by: User | None, note: str = "", expected_status: str | None = None
) -> Call:
    """The team clears its call with a disposition. `expected_status` refuses a replayed, out-of-order tap."""
    with transaction.atomic():
        locked = _lock_call(call)
        if expected_status is not None and expected_status != locked.status:
            raise Conflict(
                f"This change was made against an old view: the call is now {locked.get_status_display().lower()}."
            )
        return call_close(call=locked, disposition=disposition, by=by, note=note)


def call_cancel(*, call: Call, by: User | None, reason: str) -> Call:
    if not reason.strip():
        raise InvalidInput("Give a reason for cancelling the call.", field="reason")
    with transaction.atomic():
        call = _lock_call(call)
        if call.status not in TRANSITIONS or Status.CANCELLED not in TRANSITIONS[call.status]:
            raise InvalidTransition(f"A call that is {call.get_status_display().lower()} cannot be cancelled.")
        active = call.assignments.select_for_update().filter(status__in=("offered", "accepted")).first()
        now = timezone.now()
        call.closed_at = now
        _transition(call, Status.CANCELLED, by=by, kind="call.cancelled", reason=reason)
        if active is not None:
            _withdraw(active, now, reason="call cancelled")
    return call


def call_add_note(*, call: Call, by: User, text: str) -> CallEvent:
    if not text.strip():
        raise InvalidInput("A note cannot be empty.", field="text")
    with transaction.atomic():
        return _event(call, "call.note", by=by, text=text.strip()[:2000])


def _require_no_active_assignment(call: Call) -> None:
    if call.assignments.filter(status__in=("offered", "accepted")).exists():
        raise InvalidTransition("This call has a team offered or assigned; withdraw it first.")


# --- offers and assignments ---------------------------------------------------
def _claim_team(team_id: int, *, from_statuses: tuple[str, ...], to: str) -> bool:
    """Conditional UPDATE: succeeds for exactly one of any racing claimers."""
    now = timezone.now()
    return bool(
        Team.objects.filter(pk=team_id, status__in=from_statuses).update(
            status=to, status_changed_at=now, version=F("version") + 1
        )
    )


def _set_team_status(team: Team, status: str, now) -> None:
    Team.objects.filter(pk=team.pk).update(status=status, status_changed_at=now, version=F("version") + 1)
    team.refresh_from_db(fields=["status", "status_changed_at", "version"])
    events.publish(
        "team.status",
        {"team": team_summary(team)},
        groups=[events.dispatch_group(team.region), events.SUPERVISORS_GROUP, events.team_group(team.pk)],
    )


def team_summary(team: Team) -> dict[str, Any]:
    return {
        "id": team.pk,
        "name": team.name,
        "status": team.status,
        "status_changed_at": team.status_changed_at.isoformat(),
        "latitude": team.latitude,
        "longitude": team.longitude,
        "location_reported_at": team.location_reported_at.isoformat() if team.location_reported_at else None,
        "version": team.version,
    }


def assignment_offer(*, call: Call, team: Team, by: User | None = None, eta_seconds: float | None = None) -> Assignment:
    """Offer a locked, waiting call to a team. Raises Conflict if the team was taken meanwhile."""
    if call.status != Status.AWAITING_TEAM:
        raise InvalidTransition("Only a call awaiting a team can be offered.")
    if not _claim_team(team.pk, from_statuses=(TeamStatus.AVAILABLE,), to=TeamStatus.OFFERED):
        raise Conflict(f"{team.name} is no longer available.")
    now = timezone.now()
    try:
        with transaction.atomic():
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
    team.refresh_from_db()
    call.recommended_team = None
    call.save(update_fields=["recommended_team"])
    _event(
        call,
        "call.offered",
        by=by,
        team=team,
        assignment_id=assignment.pk,
        expires_at=assignment.expires_at.isoformat(),
        eta_seconds=None if eta_seconds is None else round(eta_seconds),
    )
    events.publish(
        "team.status",
        {"team": team_summary(team)},
        groups=[events.dispatch_group(team.region), events.SUPERVISORS_GROUP, events.team_group(team.pk)],
    )
    jobs.enqueue_offer_expiry(assignment_id=assignment.pk, seconds=settings.OFFER_TIMEOUT_SECONDS)
    return assignment


def _lock_assignment(assignment: Assignment | int) -> Assignment:
    pk = assignment.pk if isinstance(assignment, Assignment) else assignment
    return Assignment.objects.select_for_update().select_related("team", "call").get(pk=pk)


def _require_member(team: Team, by: User | None) -> None:
    """Responders act only for their own team; dispatch desks may act for any."""
    if by is None or by.has_perm("responders.manage_team") or by.has_perm("dispatch.assign_call"):
        return
    membership = getattr(by, "membership", None)
    if membership is None or membership.team_id != team.pk:
        raise PermissionDenied(f"Only a member of {team.name} can do this.")


def assignment_accept(*, assignment: Assignment, by: User | None) -> Assignment:
    lapsed = False
    with transaction.atomic():
        call = _lock_call(assignment.call_id)
        assignment = _lock_assignment(assignment)
        _require_member(assignment.team, by)
        now = timezone.now()
        if assignment.status != AssignmentStatus.OFFERED:
            raise InvalidTransition(f"This offer is already {assignment.get_status_display().lower()}.")
        if assignment.expires_at and assignment.expires_at <= now:
            # Lapse it for good (and re-route) before refusing: raising inside
            # the block would roll the lapse back and leave the call stuck.
            _end_offer(assignment, AssignmentStatus.LAPSED, now, by=None)
            lapsed = True
        else:
            assignment.status = AssignmentStatus.ACCEPTED
            assignment.responded_at = now
            assignment.save(update_fields=["status", "responded_at"])
            team = assignment.team
            _set_team_status(team, TeamStatus.ASSIGNED, now)
            call.team = team
            call.program_id = team.program_id
            call.assigned_at = now
            _transition(call, Status.ASSIGNED, by=by, kind="call.accepted", team=team, assignment_id=assignment.pk)
    if lapsed:
        raise Conflict("This offer has lapsed and gone to another team.")
    return assignment


def assignment_decline(*, assignment: Assignment, by: User | None, reason: str) -> Assignment:
    if not reason.strip():
        raise InvalidInput("Give a reason for declining.", field="reason")
    with transaction.atomic():
        _lock_call(assignment.call_id)
        assignment = _lock_assignment(assignment)
        _require_member(assignment.team, by)
        if assignment.status != AssignmentStatus.OFFERED:
            raise InvalidTransition(f"This offer is already {assignment.get_status_display().lower()}.")
        assignment.decline_reason = reason.strip()[:200]
        _end_offer(assignment, AssignmentStatus.DECLINED, timezone.now(), by=by)
    return assignment


def assignment_lapse(*, assignment_id: int) -> bool:
    """Lapse an unanswered offer whose time is up. Safe to run any number of times."""
    call_id = Assignment.objects.filter(pk=assignment_id).values_list("call_id", flat=True).first()
    if call_id is None:
        return False
    with transaction.atomic():
        # Call first, then assignment: the order accept and decline use, so a
        # lapse racing a tap on "accept" waits instead of deadlocking.
        _lock_call(call_id)
        assignment = _lock_assignment(assignment_id)
        now = timezone.now()
        if assignment.status != AssignmentStatus.OFFERED or assignment.expires_at > now:
            return False
        _end_offer(assignment, AssignmentStatus.LAPSED, now, by=None)
    return True


def _end_offer(assignment: Assignment, status: str, now, *, by: User | None) -> None:
    assignment.status = status
    assignment.responded_at = now
    assignment.save(update_fields=["status", "responded_at", "decline_reason"])
    team = assignment.team
    if team.status == TeamStatus.OFFERED:
        _set_team_status(team, TeamStatus.AVAILABLE, now)
    kind = "call.offer_declined" if status == AssignmentStatus.DECLINED else "call.offer_lapsed"
    _event(assignment.call, kind, by=by, team=team, assignment_id=assignment.pk, reason=assignment.decline_reason)
    jobs.enqueue_routing(region=assignment.call.region)


def _withdraw(assignment: Assignment, now, *, reason: str) -> None:
    assignment.status = AssignmentStatus.WITHDRAWN
    assignment.ended_at = now
    assignment.save(update_fields=["status", "ended_at"])
    team = Team.objects.select_for_update().get(pk=assignment.team_id)
    if team.status in (TeamStatus.OFFERED, TeamStatus.ASSIGNED, TeamStatus.ON_SCENE, TeamStatus.TRANSPORTING):
        _set_team_status(team, TeamStatus.AVAILABLE, now)
    jobs.enqueue_routing(region=team.region)


def _finish_assignment(call: Call, team: Team, now) -> None:
    Assignment.objects.filter(call=call, team=team, status=AssignmentStatus.ACCEPTED).update(
        status=AssignmentStatus.COMPLETED, ended_at=now
    )
    _set_team_status(team, TeamStatus.AVAILABLE, now)
    jobs.enqueue_routing(region=team.region)


def call_assign(*, call: Call, team: Team, by: User, reason: str) -> Assignment:
    """A dispatcher assigns (or reassigns) a team by hand; the team is dispatched at once."""
    if not reason.strip():
        raise InvalidInput("Give a reason for assigning by hand.", field="reason")
    with transaction.atomic():
        call = _lock_call(call)
        team = Team.objects.select_for_update().get(pk=team.pk)
        if call.status not in (Status.TRIAGED, Status.AWAITING_TEAM, Status.ASSIGNED, Status.EN_ROUTE):
            raise InvalidTransition(f"A call that is {call.get_status_display().lower()} cannot be assigned.")
        if call.team_id == team.pk and call.status in (Status.ASSIGNED, Status.EN_ROUTE):
            raise Conflict(f"{team.name} is already assigned to this call.")
        if team.status in (TeamStatus.OFF_SHIFT, TeamStatus.OUT_OF_SERVICE):
            raise Conflict(f"{team.name} is {team.get_status_display().lower()}.")
        if Assignment.objects.filter(team=team, status__in=("offered", "accepted")).exclude(call=call).exists():
            raise Conflict(f"{team.name} is busy with another call.")
        now = timezone.now()
        active = call.assignments.select_for_update().filter(status__in=("offered", "accepted")).first()
        if active is not None:
            _withdraw(active, now, reason=reason)
        if call.status in (Status.ASSIGNED, Status.EN_ROUTE):
            _transition(call, Status.AWAITING_TEAM, by=by, kind="call.reassigning", reason=reason)
        if call.status == Status.TRIAGED:
            _transition(call, Status.AWAITING_TEAM, by=by, kind="call.awaiting_team")
        if not _claim_team(team.pk, from_statuses=(TeamStatus.AVAILABLE,), to=TeamStatus.ASSIGNED):
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
        team.refresh_from_db()
        events.publish(
            "team.status",
            {"team": team_summary(team)},
            groups=[events.dispatch_group(team.region), events.SUPERVISORS_GROUP, events.team_group(team.pk)],
        )
        call.team = team
        call.program_id = team.program_id
        call.assigned_at = now
        call.recommended_team = None
        _transition(
            call,
            Status.ASSIGNED,
            by=by,
            kind="call.assigned_manually",
            team=team,
            assignment_id=assignment.pk,
            reason=reason.strip(),
        )
    return assignment


def call_confirm_recommendation(*, call: Call, by: User) -> Assignment:
    """Recommend-only mode: the dispatcher confirms the router's choice with one action."""
    with transaction.atomic():
        call = _lock_call(call)
        if call.recommended_team_id is None:
            raise InvalidTransition("There is no recommendation to confirm; route or assign the call.")
        team = Team.objects.get(pk=call.recommended_team_id)
        eta = (call.routing_explanation.get("chosen") or {}).get("eta_seconds")
        return assignment_offer(call=call, team=team, by=by, eta_seconds=eta)


# --- field progress (responder taps) ---------------------------------------------------
FIELD_STEPS = {
    Status.EN_ROUTE: (TeamStatus.ASSIGNED, "call.en_route"),
    Status.ON_SCENE: (TeamStatus.ON_SCENE, "call.on_scene"),
    Status.TRANSPORTING: (TeamStatus.TRANSPORTING, "call.transporting"),
}


def call_advance(*, call: Call, to: str, by: User | None, expected_status: str | None = None) -> Call:
    """A team reports progress on its call. `expected_status` guards against replayed, out-of-order taps."""
    if to not in FIELD_STEPS:
        raise InvalidInput(f"{to!r} is not a field status.", field="status")
    with transaction.atomic():
        call = _lock_call(call)
        if expected_status is not None and expected_status != call.status:
            raise Conflict(
                f"This change was made against an old view: the call is now {call.get_status_display().lower()}."
            )
        if call.team_id is None:
            raise InvalidTransition("No team is assigned to this call.")
        team = Team.objects.select_for_update().get(pk=call.team_id)
        _require_member(team, by)
        team_status, kind = FIELD_STEPS[to]
        _transition(call, to, by=by, kind=kind, team=team)
        now = timezone.now()
        if to == Status.ON_SCENE and call.arrived_at is None:
            call.arrived_at = now
            call.save(update_fields=["arrived_at"])
        if team.status != team_status:
            _set_team_status(team, team_status, now)
    return call


# --- routing ---------------------------------------------------------------------------
def calls_route_waiting(*, region: str) -> list[Assignment]:
    """Route every waiting call in a region jointly; offer (or recommend) the matches.

    Waiting calls are locked with SKIP LOCKED, so a second worker running at
    the same time simply finds nothing to do; each team claim is a
    conditional UPDATE, so a dispatcher assigning by hand meanwhile wins or
    loses cleanly. Running it twice changes nothing the second time.
    """
    from programs import plugins as program_plugins

    from . import routing, selectors

    offers: list[Assignment] = []
    with transaction.atomic():
        calls = list(
            selectors.waiting_calls_for_routing(region=region)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("person")
        )
        if not calls:
            return offers
        now = timezone.now()
        teams = selectors.routing_teams(region=region, now=now)
        workloads = selectors.team_workloads([t.pk for t in teams], now)
        excluded = selectors.exclusions([c.pk for c in calls])
        screens = {
            t.call_id: t for t in Triage.objects.filter(call__in=calls).order_by("call_id", "at", "id")
        }  # later rows overwrite earlier: the latest screen per call
        config, eta = selectors.routing_config(), selectors.eta_estimator()
        plugins = program_plugins.registered()
        base = [(t, selectors.team_base_facts(t, now=now, workload=workloads[t.pk])) for t in teams]
        ranked: dict[int, list[routing.Candidate]] = {}
        for call in calls:
            facts, wants = selectors.call_facts(call, screens.get(call.pk))
            team_facts = [selectors.team_facts_for_call(f, t, call=call, excluded=excluded[call.pk]) for t, f in base]
            ranked[call.pk] = routing.rank(facts, team_facts, eta=eta, plugins=plugins, config=config, wants=wants)
        chosen = routing.match(ranked, {c.pk: c.priority or 3 for c in calls})
        by_id = {t.pk: t for t in teams}
        recommend = settings.ROUTING_MODE == "recommend"
        for call in calls:
            pick = chosen.get(call.pk)
            call.routing_explanation = _explain(ranked[call.pk], pick, now, joint=len(calls) > 1)
            call.last_routed_at = now
            fields = ["routing_explanation", "last_routed_at"]
            new_recommendation = pick.team_id if (recommend and pick) else None
            recommendation_changed = recommend and call.recommended_team_id != new_recommendation
            if recommendation_changed:
                call.recommended_team_id = new_recommendation
                fields.append("recommended_team")
            call.save(update_fields=fields)
            if recommendation_changed and pick is not None:
                # Only a changed recommendation is news: re-running the router
                # must not repeat the event.
                _event(call, "call.recommended", by=None, team=by_id[pick.team_id], eta_seconds=round(pick.eta_seconds))
        if recommend:
            return offers
        calls_by_id = {c.pk: c for c in calls}
        # Claim teams in one global order (team id): two routers claiming the
        # same pair of teams in opposite orders would deadlock otherwise.
        for call_id, pick in sorted(chosen.items(), key=lambda kv: kv[1].team_id):
            try:
                call, team = calls_by_id[call_id], by_id[pick.team_id]
                with transaction.atomic():
                    offers.append(assignment_offer(call=call, team=team, eta_seconds=pick.eta_seconds))
            except Conflict:
                # Lost the team to a racing dispatcher or worker; the sweep or
                # the next freed team retries this call.
                continue
    return offers


def _explain(ranked, pick, now, *, joint: bool) -> dict[str, Any]:
    eligible = [c for c in ranked if c.eligible]
    ineligible = [c for c in ranked if not c.eligible]
    return {
        "at": now.isoformat(),
        "mode": settings.ROUTING_MODE,
        "joint": joint,
        "chosen": pick.as_dict() if pick else None,
        "candidates": [c.as_dict() for c in eligible[:6]],
        "ineligible": [c.as_dict() for c in ineligible[:25]],
        "ineligible_count": len(ineligible),
    }


def calls_sweep(*, now=None) -> dict[str, int]:
    """Periodic safety net: lapse overdue offers, re-route stranded calls, flag long waits.

    No call can be stranded by one lost message: whatever the queue dropped,
    this finds within one sweep interval.
    """
    from . import selectors

    now = now or timezone.now()
    lapsed = 0
    for assignment_id in Assignment.objects.filter(status=AssignmentStatus.OFFERED, expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        lapsed += assignment_lapse(assignment_id=assignment_id)

    regions = set(Call.objects.filter(status=Status.AWAITING_TEAM).values_list("region", flat=True).distinct())
    for region in regions:
        if selectors.waiting_calls_for_routing(region=region).exists():
            calls_route_waiting(region=region)

    flagged = 0
    threshold = now - timedelta(seconds=settings.UNROUTED_FLAG_SECONDS)
    for call_id in Call.objects.filter(
        status=Status.AWAITING_TEAM, awaiting_since__lte=threshold, unrouted_flagged_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            call = _lock_call(call_id)
            if call.status != Status.AWAITING_TEAM or call.unrouted_flagged_at is not None:
                continue
            call.unrouted_flagged_at = now
            call.save(update_fields=["unrouted_flagged_at"])
            _event(call, "call.unrouted_flagged", by=None, waiting_seconds=round(call.waiting_seconds(now)))
            flagged += 1
    warned = calls_warn_standards(now=now)
    return {"lapsed": lapsed, "regions_routed": len(regions), "flagged": flagged, "warned": warned}


def calls_warn_standards(*, now=None) -> int:
    """Push a warning once per call and standard when a response clock nears or passes its target.

    The board ticks the clocks itself; this event makes the warning reach
    supervisors and the call's timeline even when no board is open.
    """
    now = now or timezone.now()
    open_calls = list(
        Call.objects.filter(status__in=[Status.AWAITING_TEAM, Status.ASSIGNED, Status.EN_ROUTE, Status.TRIAGED])
    )
    if not open_calls:
        return 0
    already = set(
        CallEvent.objects.filter(call__in=open_calls, kind="call.standard_warning").values_list(
            "call_id", "detail__standard"
        )
    )
    configured = standards.configured_standards()
    warned = 0
    for call in open_calls:
        for clock in standards.clocks_for(call, now, configured):
            if clock.stopped or clock.key not in PUSHED_STANDARDS or clock.state == standards.OK:
                continue
            if (call.pk, clock.key) in already:
                continue
            with transaction.atomic():
                locked = _lock_call(call.pk)
                if not locked.is_open:
                    continue
                _event(
                    locked,
                    "call.standard_warning",
                    by=None,
                    standard=clock.key,
                    state=clock.state,
                    target_at=clock.target_at.isoformat(),
                )
            warned += 1
    return warned
