"""Reads of referrals and partners. A referral names a person's call, so reading the list is audited here."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from crisis import audit, permissions
from crisis.models import User

from .models import OPEN_STATUSES, Partner, Referral


def partners_active() -> QuerySet[Partner]:
    return Partner.objects.filter(active=True).order_by("name")


def referable_calls() -> QuerySet:
    """Calls, to refer from by id. The program reaches the call through its own foreign key (it never imports
    live operations); who may refer from which call, the permission source decides in the service."""
    return Referral._meta.get_field("call").related_model.objects.all()


def may_list_referrals(user) -> bool:
    return permissions.is_active_user.test(user) and (
        user.has_perm("dispatch.view_call") or permissions.is_on_a_team.test(user)
    )


def referrals_open_for(user: User) -> QuerySet[Referral]:
    """Open referrals: the desk and supervisors see all; a responder their team's calls' and their own. Due first."""
    if not may_list_referrals(user):
        raise PermissionDenied("Only the dispatch desk or a responder on a team may see referrals.")
    qs = Referral.objects.filter(status__in=OPEN_STATUSES).select_related("call", "call__person", "partner", "owner")
    if not user.has_perm("dispatch.view_call"):
        qs = qs.filter(Q(call__team_id=permissions.active_team_id(user)) | Q(owner=user))
    return qs.order_by("due_at", "pk")


def referrals_viewed(*, by: User, rows: list[Referral], now: datetime) -> None:
    audit.record(
        actor=by,
        action="community_responders.referrals.viewed",
        referrals=[r.pk for r in rows],
        overdue=sum(1 for r in rows if r.is_overdue(now)),
    )


def referral_for_work(*, pk: int, by: User) -> Referral:
    referral = Referral.objects.select_related("call", "partner").filter(pk=pk).first()
    if referral is None:
        raise Http404("No such referral.")
    permissions.require(permissions.may_work_referral, by, referral, "This referral is not yours to change.")
    return referral
