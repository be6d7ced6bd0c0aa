"""Escalation of stalled hand-offs: the only writer of programs.Escalation.

Each program reports its own overdue hand-offs (`programs.plugins.stalled_items`); this module never reads a
program's models. A stalled item alerts its owner first (the owner's own stream, or the owning team's when nobody
owns it), then, if it is still stalled `CARE_ESCALATION_GRACE_MINUTES` after that, the supervisors. Every alert is
raised once (a unique key and level: a re-run or a second worker adds nothing), audited, and sent live after
commit through crisis/realtime.py; it is resolved by itself when the item is no longer stalled.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from crisis import audit, permissions, realtime
from crisis.errors import InvalidTransition
from crisis.models import User

from . import plugins
from .models import Escalation, EscalationLevel

EVENT_KIND = "care.escalation"


def escalation_row(e: Escalation) -> dict[str, Any]:
    """The one shape of an escalation: the live event and the API return the same row."""
    return {
        "id": e.pk,
        "key": e.key,
        "level": e.level,
        "kind": e.kind,
        "program": e.program,
        "title": e.title,
        "url": e.url,
        "due_at": e.due_at.isoformat(),
        "owner": e.owner_id,
        "team": e.team_id,
        "raised_at": e.raised_at.isoformat(),
        "acknowledged_at": e.acknowledged_at.isoformat() if e.acknowledged_at else None,
        "acknowledged_by": e.acknowledged_by_id,
        "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
        "open": e.is_open,
    }


def escalation_groups(e: Escalation) -> list[str]:
    """Who hears an escalation: its owner (or the owning team), or the supervisors."""
    if e.level == EscalationLevel.OWNER:
        if e.owner_id is not None:
            return [realtime.inbox_group(e.owner_id)]
        if e.team_id is not None:
            return [realtime.care_team_group(e.team_id)]
    return [realtime.CARE_SUPERVISORS_GROUP]


def _publish(e: Escalation) -> None:
    realtime.publish(EVENT_KIND, escalation_row(e), groups=escalation_groups(e))


def _raise(item: plugins.CareItem, level: str, now: datetime) -> Escalation | None:
    """One alert, or None when another run raised it first (the unique key is the last line of defence)."""
    try:
        with transaction.atomic():
            e = Escalation.objects.create(
                key=item.key,
                level=level,
                kind=item.kind,
                program=item.program,
                title=item.title[:300],
                url=item.url,
                due_at=item.due_at,
                owner_id=item.owner_id,
                team_id=item.team_id,
                raised_at=now,
            )
    except IntegrityError:
        return None
    audit.record(
        actor=None,
        action="programs.escalation.raised",
        obj=e,
        key=e.key,
        level=level,
        owner=e.owner_id,
        team=e.team_id,
        due_at=e.due_at.isoformat(),
    )
    _publish(e)
    return e


def escalations_raise(*, now: datetime) -> list[int]:
    """Raise what stalled since the last run, resolve what is no longer stalled; returns the ids raised.

    Safe to run twice and from two workers at once: each alert is one insert under a unique key."""
    grace = timedelta(minutes=settings.CARE_ESCALATION_GRACE_MINUTES)
    stalled = {item.key: item for item in plugins.stalled_items(now=now)}
    raised: list[int] = []
    with transaction.atomic():
        settled = list(
            Escalation.objects.select_for_update(skip_locked=True)
            .filter(resolved_at__isnull=True)
            .exclude(key__in=list(stalled))
        )
        for e in settled:
            e.resolved_at = now
            e.save(update_fields=["resolved_at"])
            audit.record(actor=None, action="programs.escalation.resolved", obj=e, key=e.key, level=e.level)
            _publish(e)
        known = {
            (key, level): raised_at
            for key, level, raised_at in Escalation.objects.filter(key__in=list(stalled)).values_list(
                "key", "level", "raised_at"
            )
        }
        for key, item in stalled.items():
            owner_raised = known.get((key, EscalationLevel.OWNER))
            if owner_raised is None:
                e = _raise(item, EscalationLevel.OWNER, now)
                owner_raised = e.raised_at if e else None
                if e:
                    raised.append(e.pk)
            # Supervisors hear of it once the owner has had the grace to act, acknowledged or not: an
            # acknowledged hand-off that is still stalled still leaves a person waiting.
            if (
                owner_raised is not None
                and (key, EscalationLevel.SUPERVISOR) not in known
                and owner_raised + grace <= now
            ):
                e = _raise(item, EscalationLevel.SUPERVISOR, now)
                if e:
                    raised.append(e.pk)
    return raised


def escalation_acknowledge(*, escalation: Escalation, by: User, now: datetime) -> Escalation:
    """The owner or a supervisor saw the alert: it stops asking for attention (it stays until resolved)."""
    permissions.require(
        permissions.may_acknowledge_escalation,
        by,
        escalation,
        "Only the person (or team) it was raised to, or a supervisor, may acknowledge this escalation.",
    )
    with transaction.atomic():
        updated = Escalation.objects.filter(
            pk=escalation.pk, acknowledged_at__isnull=True, resolved_at__isnull=True
        ).update(acknowledged_at=now, acknowledged_by=by)
        escalation.refresh_from_db()
        if not updated:
            raise InvalidTransition(
                "This escalation was already acknowledged."
                if escalation.acknowledged_at
                else "This hand-off is no longer stalled: nothing to acknowledge."
            )
        audit.record(actor=by, action="programs.escalation.acknowledged", obj=escalation, level=escalation.level)
        _publish(escalation)
    return escalation
