"""Reads of stabilization episodes. Each names a person, so every read is audited here, once."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from crisis import audit, permissions
from crisis.models import User

from .models import Episode

KIND = "crisis_stabilization"


def _team_model():
    return Episode._meta.get_field("team").related_model


def may_list_episodes(user) -> bool:
    return permissions.may_list_caseload.test(user)


def is_stabilization_member(user) -> bool:
    team_id = permissions.active_team_id(user)
    return team_id is not None and _team_model().objects.filter(pk=team_id, program__kind=KIND).exists()


def teams_for(user: User):
    """The stabilization teams this user may open episodes on."""
    teams = _team_model().objects.filter(program__kind=KIND).select_related("program")
    if not permissions.is_care_supervisor.test(user):
        teams = teams.filter(pk=permissions.active_team_id(user))
    return teams.order_by("name")


def team_members(team):
    return User.objects.filter(membership__team=team, membership__active=True, is_active=True).order_by(
        "first_name", "last_name"
    )


def episodes_open_for(user: User) -> QuerySet[Episode]:
    """Open episodes: a supervisor every team's, a worker their team's and their own; the user's own first, then due."""
    if not may_list_episodes(user):
        raise PermissionDenied("Only a responder on a team or a supervisor may see episodes.")
    qs = Episode.objects.filter(closed_at__isnull=True).select_related("person", "team", "owner")
    if not permissions.is_care_supervisor.test(user):
        qs = qs.filter(Q(team_id=permissions.active_team_id(user)) | Q(owner=user))
    mine_first = Case(When(owner=user, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by(mine_first, "due_at", "pk")


def episodes_viewed(*, by: User, rows: list[Episode], now: datetime) -> None:
    audit.record(
        actor=by,
        action="crisis_stabilization.episodes.viewed",
        episodes=[e.pk for e in rows],
        overdue=sum(1 for e in rows if e.is_overdue(now)),
    )


def episode_for_work(*, pk: int, by: User) -> Episode:
    episode = Episode.objects.select_related("person", "team", "owner", "team__program").filter(pk=pk).first()
    if episode is None:
        raise Http404("No such episode.")
    permissions.require(permissions.may_work_episode, by, episode, "This episode belongs to another team.")
    return episode


def episode_view(*, episode: Episode, by: User) -> list:
    """The episode's contacts, newest first; the read is audited."""
    contacts = list(episode.contacts.select_related("by").order_by("-at"))
    audit.record(actor=by, action="crisis_stabilization.episode.viewed", obj=episode, person=episode.person_id)
    return contacts
