"""The call's timeline: every change to a call is one locked transition and one event row.

`transition` checks the lifecycle table (models.TRANSITIONS) and refuses
anything else with a clear error; `record_event` writes the timeline row,
bumps the call's version and publishes the call's row after commit. The
timeline is the call's audit (append-only, like the audit table): call
changes are not written to the audit table a second time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.utils import timezone

from crisis import audit, outbound, realtime
from crisis.errors import InvalidTransition
from crisis.models import User
from crisis.sql import update_returning
from programs import plugins as program_plugins
from responders.models import Team

from .models import TRANSITIONS, Assignment, Call, CallEvent, Status, address_key
from .rows import UNKNOWN, assignment_row, call_summary

# Every column a transition may have changed in memory (the callers set team, disposition, times, ...
# before calling it): all but the key and the version, which the same statement bumps.
_CALL_COLUMNS = tuple(f.attname for f in Call._meta.concrete_fields if f.name not in ("id", "version"))
_journal: ContextVar[list[tuple[Call, CallEvent]] | None] = ContextVar("call_journal", default=None)


@contextmanager
def journal() -> Iterator[list[tuple[Call, CallEvent]]]:
    """Collect (call as changed, event) for every timeline row written inside the block: a caller that made a
    call's whole page (call_intake) answers from it instead of reading the page back."""
    written: list[tuple[Call, CallEvent]] = []
    token = _journal.set(written)
    try:
        yield written
    finally:
        _journal.reset(token)


def lock_call(call: Call | int) -> Call:
    pk = call.pk if isinstance(call, Call) else call
    return Call.objects.select_for_update().get(pk=pk)


def groups_for_call(call: Call, team_id: int | None = None) -> list[str]:
    groups = [realtime.dispatch_group(call.region), realtime.SUPERVISORS_GROUP]
    if team_id:
        groups.append(realtime.team_group(team_id))
    return groups


def record_event(
    call: Call,
    kind: str,
    *,
    by: User | None,
    from_status: str = "",
    to_status: str = "",
    team: Team | None = None,
    active: Assignment | None = UNKNOWN,
    bumped: bool = False,
    at: datetime | None = None,
    unsaved: Sequence[str] = (),
    **detail: Any,
) -> CallEvent:
    """Write the timeline row and publish the call's row after commit.

    `active`: the call's offer or assignment in force when the caller knows it (None: none), which saves
    the board row a lookup. `bumped`: the caller's own write already bumped the version (a transition, a
    new call); otherwise one UPDATE ... RETURNING bumps and reads it, and writes the call's `unsaved` fields (the
    caller's changes to the row, one statement instead of a save() and the bump). `at`: the row's time when the
    caller also wrote it on the call (a transition's status_changed_at), else now.
    """
    if not bumped:
        attnames = [Call._meta.get_field(name).attname for name in unsaved]
        values = {attname: getattr(call, attname) for attname in attnames}
        call.version = update_returning(Call, call.pk, values=values, increment="version", returning=["version"])[
            "version"
        ]
    elif unsaved:
        raise ValueError("record_event: a caller that bumped the version wrote its own changes.")
    if by is not None and not getattr(by, "is_authenticated", False):
        by = None
    ev = CallEvent.objects.create(
        call=call,
        at=at or timezone.now(),
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=by,
        team=team,
        detail=detail,
        ip_address=audit.current_ip.get(),
    )
    if (written := _journal.get()) is not None:
        written.append((call, ev))
    realtime.publish(
        kind,
        {
            "call": call_summary(call, assignment=UNKNOWN if active is UNKNOWN else assignment_row(active)),
            "event": {"kind": kind, "team_id": team.pk if team else None, **detail},
        },
        groups=groups_for_call(call, team.pk if team else call.team_id),
    )
    # Partners' systems (webhooks, a CAD) hear of it through the outbound hook, in this same transaction.
    outbound.notify(kind, obj=call, from_status=from_status, to_status=to_status)
    # A program following this call (an officer's consult waiting for the team it asked for) shows it live.
    program_plugins.call_changed(call)
    return ev


def transition(
    call: Call,
    to: str,
    *,
    by: User | None,
    kind: str,
    team: Team | None = None,
    active: Assignment | None = UNKNOWN,
    at: datetime | None = None,
    then: tuple[tuple[str, str], ...] = (),
    **detail,
) -> None:
    """Move a locked call to `to`, or refuse with a clear error.

    One UPDATE writes the row and bumps its version (RETURNING the new one), one INSERT the event. `at`: the
    transition's time when the caller writes it on the call too (call.resolved_by_phone_at), else now.

    `then`: (status, kind) steps the call moves on through at the same instant (triaged, then awaiting a team).
    Each is checked against the lifecycle before anything is written and has its own timeline row, published with
    the call as it was at that step; the row is written once, by the last step (its version bumped once per step).
    """
    steps = [(to, kind, team, detail), *((status, step_kind, None, {}) for status, step_kind in then)]
    status = call.status
    for step_to, *_ in steps:
        if step_to not in TRANSITIONS[status]:
            raise InvalidTransition(
                f"A call that is {Status(status).label.lower()} cannot become {Status(step_to).label.lower()}."
            )
        status = step_to
    now = at or timezone.now()
    for n, (step_to, step_kind, step_team, step_detail) in enumerate(steps, start=1):
        before = _move(call, step_to, now)
        if n < len(steps):
            call.version += 1  # written with the last step's row; this step's row carries its own number
        else:
            call.address_key = address_key(call.address)  # what Call.save() keeps in step
            row = update_returning(
                Call, call.pk, values={name: getattr(call, name) for name in _CALL_COLUMNS}, increment="version",
                increment_by=len(steps), returning=["version"],
            )  # fmt: skip
            call.version = row["version"]
        record_event(
            call, step_kind, by=by, from_status=before, to_status=step_to, team=step_team, active=active,
            bumped=True, at=at, **step_detail,
        )  # fmt: skip


def _move(call: Call, to: str, now: datetime) -> str:
    """The transition's change to the call in memory; returns the status it left."""
    before = call.status
    call.status = to
    call.status_changed_at = now
    if to == Status.AWAITING_TEAM:
        if before in (Status.ASSIGNED, Status.EN_ROUTE):
            # Back in the queue after a team was withdrawn: a new wait, with its own flag.
            call.awaiting_since = now
            call.unrouted_flagged_at = None
            call.escalated_at = None
        call.awaiting_since = call.awaiting_since or now
    return before
