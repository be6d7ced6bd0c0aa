"""Reads of follow-ups. The open list shows people's names and numbers, so reading it is audited here, once."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from crisis import audit, permissions
from crisis.models import User

from .models import FollowUp


def _open() -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(completed_at__isnull=True).select_related("call", "call__person", "team")


def follow_ups_open_for(user: User) -> QuerySet[FollowUp]:
    """The open follow-ups this user works: a supervisor every team's, escalated ones first; a responder their team's.

    Most urgent first (the earliest due, so overdue ones lead): a follow-up list is a work list.
    """
    if not permissions.may_list_follow_ups.test(user):
        raise PermissionDenied("Only a responder on a team or a supervisor may see follow-ups.")
    if permissions.is_care_supervisor.test(user):
        escalated_first = Case(
            When(escalated_at__isnull=False, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return _open().order_by(escalated_first, "due_at", "pk")
    return _open().filter(team_id=permissions.active_team_id(user)).order_by("due_at", "pk")


def follow_ups_open_view(*, by: User, now: datetime, limit: int | None = None, offset: int = 0) -> list[FollowUp]:
    """The page's and the API's read: the rows shown, and an audit entry naming them."""
    qs = follow_ups_open_for(by)
    rows = list(qs[offset : offset + limit] if limit is not None else qs)
    follow_ups_viewed(by=by, rows=rows, now=now)
    return rows


def follow_ups_viewed(*, by: User, rows: list[FollowUp], now: datetime) -> None:
    audit.record(
        actor=by,
        action="mobile_crisis.follow_ups.viewed",
        follow_ups=[f.pk for f in rows],
        overdue=sum(1 for f in rows if f.is_overdue(now)),
    )


def follow_up_for_work(*, pk: int, by: User) -> FollowUp:
    """One follow-up, for the user who may record it (404 when missing, 403 when not theirs)."""
    follow_up = FollowUp.objects.select_related("call", "call__person", "team").filter(pk=pk).first()
    if follow_up is None:
        raise Http404("No such follow-up.")
    permissions.require(permissions.may_work_follow_up, by, follow_up, "This follow-up belongs to another team.")
    return follow_up
