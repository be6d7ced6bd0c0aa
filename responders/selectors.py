from django.db.models import Prefetch

from dispatch.models import ACTIVE_ASSIGNMENT, Assignment

from .models import Team, TeamMember


def team_board(*, region: str | None = None):
    active = Assignment.objects.filter(status__in=ACTIVE_ASSIGNMENT).select_related("call")
    qs = Team.objects.select_related("program").prefetch_related(
        Prefetch("members", queryset=TeamMember.objects.filter(active=True).select_related("user")),
        Prefetch("assignments", queryset=active, to_attr="active_assignments"),
    )
    if region:
        qs = qs.filter(region=region)
    return qs.order_by("name")


def team_of(user) -> Team | None:
    membership = TeamMember.objects.select_related("team", "team__program").filter(user=user, active=True).first()
    return membership.team if membership else None
