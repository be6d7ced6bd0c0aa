"""Roster reads: who is on which team. Never imports live operations."""

from .models import Team, TeamMember


def team_of(user) -> Team | None:
    membership = TeamMember.objects.select_related("team", "team__program").filter(user=user, active=True).first()
    return membership.team if membership else None
