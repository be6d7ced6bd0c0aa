"""Everything that can happen to a call outside its offers: intake, triage, notes, closing, cancelling."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from crisis import languages, outbound, permissions
from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import Person, User
from programs import plugins as program_plugins

from . import handoffs, jobs, selectors, telephony, timeline, triage, units
from .assignments import finish_assignment, withdraw, withdraw_offer
from .models import (
    FIELD_TIERS,
    TRANSITIONS,
    TRIAGEABLE,
    WITHDRAWABLE,
    Call,
    CallerRelation,
    CallEvent,
    Disposition,
    Status,
    TelephonyCall,
    Tier,
    Triage,
)
from .router import call_route_new
from .timeline import lock_call, record_event, transition

log = logging.getLogger(__name__)


def call_create(*, by: User | None, person: Person | None = None, **fields: Any) -> Call:
    if person is not None:
        permissions.require(permissions.may_link_call_person, by, None, permissions.LINK_PERSON_REFUSED)
    # A language left unsaid is the known person's preferred one (else English): the team that can talk
    # with them is chosen from the start, not after someone notices on scene.
    language = fields.pop("language", "")
    if language and not languages.is_known(language):
        raise InvalidInput(languages.unknown_message(language), field="language")
    language = language or (person.preferred_language if person is not None else "") or languages.DEFAULT
    now = timezone.now()
    answered_at = fields.get("answered_at")
    if answered_at is not None and not (now - timedelta(hours=12) <= answered_at <= now + telephony.CLOCK_SKEW):
        raise InvalidInput("The answer time must be within the last 12 hours.", field="answered_at")
    # Version 1 from the start: the row is born with its first published change (no UPDATE to bump it).
    call = Call(created_by=by, person=person, version=1, language=language, **fields)
    # `created_by` is the signed-in user the request already loaded: no query to prove it exists.
    call.full_clean(exclude=["address_key", "created_by"])
    # No savepoint inside a caller's transaction (two round trips): nothing in here is caught and recovered
    # from; a caller that recovers from a failed create wraps it in its own atomic block.
    with transaction.atomic(savepoint=False):
        # The phone system's report of this caller's call, if it came first: its ring and pick-up times win
        # over the intake page's "opened at" (dispatch/telephony.py).
        phone = None if call.rang_at else telephony.telephony_claim(callback_number=call.callback_number, now=now)
        if phone is not None:
            call.rang_at, call.answered_at = phone.rang_at, phone.answered_at
        call.save(force_insert=True)
        if phone is not None:
            TelephonyCall.objects.filter(pk=phone.pk).update(call=call)
        extra = {"phone_call": phone.ref} if phone is not None else {}
        event = record_event(
            call, "call.created", by=by, to_status=call.status, source=call.source, active=None, bumped=True, **extra
        )
    # The new call's whole page is known: this one event, no screen, no offers, no hand-offs. Callers that show it
    # (the API's 201) serialize it as is instead of reading it back.
    _known_page(call, events=[event], triages=[], assignments=[], handoffs=[], call_units=[])
    return call


def _known_page(call: Call, **related: list) -> None:
    """Fill the call's related sets as prefetch_related would (querysets already evaluated)."""
    cache = {}
    for name, rows in related.items():
        qs = getattr(call, name).all()
        qs._result_cache, qs._prefetch_done = rows, True
        cache[name] = qs
    call._prefetched_objects_cache = cache


def call_intake(
    *,
    by: User | None,
    screen: dict[str, bool],
    person: Person | None = None,
    tier_override: str | None = None,
    override_reason: str = "",
    **fields: Any,
) -> Call:
    """A call with its risk screen, as a CAD or 988 integration sends it: created, triaged and, for a field
    tier, routed at once, in one transaction (the same services as the two-step path, in order), so the
    offer goes out to the team's phone and the boards when it commits, with no hop through the worker.

    Routing runs in a savepoint: if it fails, the call stays created and triaged and the routing job is
    enqueued after commit (the sweep backs it up), as for any other call.
    """
    scored = _screen_outcome(screen, person=person, tier_override=tier_override, override_reason=override_reason)
    offers: list = []
    # No savepoint of its own inside the request's transaction (two round trips): only routing recovers. Its
    # events tell partners' systems in one outbound batch (their endpoints read once, not once per event).
    with timeline.journal() as written, outbound.batch(), transaction.atomic(savepoint=False):
        call = call_create(by=by, person=person, **fields)
        # The row was inserted by this transaction: no other one can see it, let alone lock it (no re-lock).
        screened = _triage_locked(
            call, scored, screen=screen, by=by, override_reason=override_reason, enqueue_routing=False
        )
        if call.tier in FIELD_TIERS:
            try:
                with transaction.atomic():
                    # This call alone, over the teams free now: a call already waiting in the region waits
                    # because no eligible team was free at its last run, and the worker re-routes those
                    # jointly whenever a team frees (routing them all here made each intake pay the backlog).
                    offers = call_route_new(call=call, screen=screened)
            except DatabaseError:
                log.exception("routing at intake failed for call %s; the routing job will retry", call.pk)
                jobs.enqueue_routing(region=call.region)
                written[:] = [(c, ev) for c, ev in written if c is call]  # the routing savepoint's rows are gone
        _intake_page(call, screened, written, offers)
    return call


def _intake_page(call: Call, screened: Triage, written: list, offers: list) -> None:
    """The page of a call this transaction made, from what it wrote: its events as they were written, its one
    screen, its offer. Routing changes its own copy of the row; its last evented copy has every column. When
    routing changed the row without an event (a team lost to a race), the page is read back instead."""
    mine = [(c, ev) for c, ev in written if c.pk == call.pk]
    latest = mine[-1][0]
    if call.tier in FIELD_TIERS and latest is call:
        latest = Call.objects.get(pk=call.pk)
    for f in Call._meta.concrete_fields:
        setattr(call, f.attname, getattr(latest, f.attname))
    _known_page(
        call,
        events=[ev for _, ev in mine],
        triages=[screened],
        assignments=[a for a in offers if a.call_id == call.pk],
        handoffs=[],
        call_units=[],
    )


def _screen_outcome(screen: dict, *, person: Person | None, tier_override: str | None, override_reason: str):
    """The screen's score, the tier the call takes (an override needs a known tier and a reason) and what the
    person's record added: its rules read "From history: …" in the result."""
    age = screen.get("age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 120):
        raise InvalidInput("Give the age in years (0 to 120), or leave it empty.", field="age")
    relation = screen.get("caller_relation") or ""
    if relation not in CallerRelation.values and relation != "":
        raise InvalidInput(f"Unknown caller {relation!r}.", field="caller_relation")
    history = triage.history_of(person)
    outcome = triage.evaluate({**screen, **history})
    tier = outcome.tier
    if tier_override and tier_override != outcome.tier:
        if tier_override not in Tier.values:
            raise InvalidInput(f"Unknown tier {tier_override!r}.", field="tier_override")
        if not override_reason.strip():
            raise InvalidInput("Give a reason for overriding the tier.", field="override_reason")
        tier = tier_override
    return outcome, tier, history


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
    scored = _screen_outcome(screen, person=call.person, tier_override=tier_override, override_reason=override_reason)
    with outbound.batch(), transaction.atomic():
        return _triage_locked(lock_call(call), scored, screen=screen, by=by, override_reason=override_reason)


def _triage_locked(
    call: Call, scored, *, screen: dict, by: User | None, override_reason: str, enqueue_routing: bool = True
) -> Triage:
    """call_triage's write on a call this transaction holds. `enqueue_routing=False`: the caller routes the
    call itself before it commits (call_intake)."""
    outcome, tier, history = scored
    if call.status not in TRIAGEABLE:
        raise InvalidTransition(f"A call that is {call.get_status_display().lower()} cannot be triaged.")
    # A new screen is a new question: an unanswered offer made on the old one is withdrawn.
    withdraw_offer(call, timezone.now(), by=by, reason="Re-triaged")
    result = Triage.objects.create(
        call=call,
        by=by,
        priority=outcome.priority,
        computed_tier=outcome.tier,
        tier=tier,
        rules_fired=list(outcome.rules_fired),
        override_reason=override_reason.strip() if tier != outcome.tier else "",
        **{name: bool(screen.get(name, False)) for name in triage.SCREEN_FIELDS}
        # "Minor" is derived from the age when one is given (the rules read it so); the row keeps what counted.
        | {"person_is_minor": triage.facts(screen)["person_is_minor"]},
        **{name: screen.get(name) for name in triage.OPEN_QUESTIONS},
        age=screen.get("age"),
        caller_relation=screen.get("caller_relation") or "",
        from_history=[name for name, known in history.items() if known],
    )
    call.priority = outcome.priority
    call.tier = tier
    call.triaged_at = call.triaged_at or result.at
    if tier not in FIELD_TIERS:
        call.awaiting_since = None
    detail = {"priority": outcome.priority, "tier": tier, "rules": list(outcome.rules_fired)}
    if tier != outcome.tier:
        detail |= {"computed_tier": outcome.tier, "override_reason": result.override_reason}
    # No offer survives withdraw_offer and a triageable call has no accepted team: `active=None`. A field tier
    # goes on to wait for a team in the same write (two timeline rows, one UPDATE).
    field = tier in FIELD_TIERS
    then = ((Status.AWAITING_TEAM, "call.awaiting_team"),) if field else ()
    transition(call, Status.TRIAGED, by=by, kind="call.triaged", active=None, then=then, **detail)
    # A police/EMS-led call waits for its hand-off to the partner agency (flagged on the board until recorded).
    handoffs.handoff_require(call, result, by=by)
    if field and enqueue_routing:
        jobs.enqueue_routing(region=call.region)
    return result


def call_set_needs(*, call: Call, needs: list[str], by: User | None) -> Call:
    """The dispatcher states what the call needs (the screen's inference, edited). Routing uses it from now on;
    a waiting call is routed again at once, and an unanswered offer made on the old needs is withdrawn."""
    allowed = {code for code, _ in selectors.needs_choices(call)}
    unknown = sorted(set(needs) - allowed)
    if unknown:
        raise InvalidInput(f"Unknown need {unknown[0]!r}: choose from {', '.join(sorted(allowed))}.", field="needs")
    with transaction.atomic():
        call = lock_call(call)
        if call.status not in TRIAGEABLE:
            raise InvalidTransition(
                f"A call that is {call.get_status_display().lower()} keeps its needs: pull the team back first."
            )
        inferred, _ = selectors.inferred_needs(call, selectors.latest_triage(call))
        wanted = frozenset(needs)
        added, removed = sorted(wanted - inferred), sorted(inferred - wanted)
        if (added, removed) == (call.needs_added, call.needs_removed):
            return call
        call.needs_added, call.needs_removed = added, removed
        call.save(update_fields=["needs_added", "needs_removed"])
        record_event(call, "call.needs_changed", by=by, needs=sorted(wanted), added=added, removed=removed)
        if call.status == Status.AWAITING_TEAM:
            # The offer out was chosen for the old needs: withdraw it (no cool-down, the team is not to blame).
            withdraw_offer(call, timezone.now(), by=by, reason="Needs changed")
            jobs.enqueue_routing(region=call.region)
    return call


def call_resolve_by_phone(*, call: Call, by: User | None, note: str = "") -> Call:
    with transaction.atomic():
        call = lock_call(call)
        if call.status in WITHDRAWABLE and Status.RESOLVED_BY_PHONE not in TRANSITIONS[call.status]:
            raise InvalidTransition("A team is assigned to this call: pull it back first (Withdraw on the board).")
        withdraw_offer(call, timezone.now(), by=by, reason="Resolved by phone")
        # The column and the timeline row carry the same instant: the reports read the column (one writer: here).
        at = call.resolved_by_phone_at = timezone.now()
        transition(call, Status.RESOLVED_BY_PHONE, by=by, kind="call.resolved_by_phone", at=at, note=note)
        # Resolved by phone is how the call ended: it closes at once (disposition "resolved by phone") and
        # leaves the board, instead of waiting there for a second step nobody remembers at 4 a.m.
        call = call_close(call=call, disposition=Disposition.RESOLVED_BY_PHONE, by=by)  # the note is on the row above
    return call


def call_close(*, call: Call, disposition: str, by: User | None, note: str = "", confirm_units: bool = False) -> Call:
    """Close the call. While a police/EMS unit is still on scene it refuses (NeedsConfirmation, 409) unless
    `confirm_units`; units still open are cleared with the call."""
    if disposition not in Disposition.values:
        raise InvalidInput("Choose a disposition to close the call.", field="disposition")
    with transaction.atomic():
        call = lock_call(call)
        if call.status in (Status.TRIAGED, Status.AWAITING_TEAM):
            require_no_active_assignment(call)
        units.units_release_for_close(call, by=by, confirm=confirm_units)
        team = call.team if call.status in (Status.ON_SCENE, Status.TRANSPORTING) else None
        now = timezone.now()
        call.disposition = disposition
        call.closed_at = now
        transition(call, Status.CLOSED, by=by, kind="call.closed", team=team, disposition=disposition, note=note)
        if team is not None:
            finish_assignment(call, team, now, by=by)
        for plugin in program_plugins.registered():
            plugin.call_closed(call, by=by)
    return call


def call_clear(
    *,
    call: Call,
    disposition: str,
    by: User | None,
    note: str = "",
    expected_status: str | None = None,
    confirm_units: bool = False,
    answers: Mapping[str, str] | None = None,
) -> Call:
    """The team clears its call with a disposition. `expected_status` refuses a replayed, out-of-order tap.

    `answers` are the team's program's questions at clear (programs/plugins.py `clear_record`): written in the
    same transaction, so a refused answer leaves the call open and nothing half-saved."""
    with transaction.atomic():
        locked = lock_call(call)
        permissions.require(
            permissions.may_clear_call, by, locked, "Only the assigned team or a dispatcher can clear this call."
        )
        if expected_status is not None and expected_status != locked.status:
            raise Conflict(
                f"This change was made against an old view: the call is now {locked.get_status_display().lower()}."
            )
        # Only the desk may close over a unit still on scene; a team's phone gets the 409 and the desk decides.
        confirm_units = confirm_units and (by is None or permissions.may_dispatch.test(by, locked))
        given = {k: v.strip() for k, v in (answers or {}).items() if v and v.strip()}
        if given:
            unknown = program_plugins.clear_record(locked, by=by, disposition=disposition, answers=given)
            if unknown:
                raise InvalidInput(f"This team's clear form has no {sorted(unknown)[0]!r}.", field="answers")
        return call_close(call=locked, disposition=disposition, by=by, note=note, confirm_units=confirm_units)


def call_cancel(*, call: Call, by: User | None, reason: str) -> Call:
    if not reason.strip():
        raise InvalidInput("Give a reason for cancelling the call.", field="reason")
    with transaction.atomic():
        call = lock_call(call)
        if call.status not in TRANSITIONS or Status.CANCELLED not in TRANSITIONS[call.status]:
            raise InvalidTransition(f"A call that is {call.get_status_display().lower()} cannot be cancelled.")
        active = call.assignments.select_for_update().filter(status__in=("offered", "accepted")).first()
        now = timezone.now()
        call.closed_at = now
        # Cancelling is deliberate: partner units still on the call are cleared with it, each on the timeline.
        units.units_release_for_close(call, by=by, confirm=True)
        transition(call, Status.CANCELLED, by=by, kind="call.cancelled", reason=reason)
        if active is not None:
            withdraw(active, now, by=by)
    return call


def call_add_note(*, call: Call, by: User, text: str) -> CallEvent:
    if not text.strip():
        raise InvalidInput("A note cannot be empty.", field="text")
    with transaction.atomic():
        return record_event(call, "call.note", by=by, text=text.strip()[:2000])


def require_no_active_assignment(call: Call) -> None:
    if call.assignments.filter(status__in=("offered", "accepted")).exists():
        raise InvalidTransition("This call has a team offered or assigned; withdraw it first (Withdraw on the board).")
