"""Everything that can happen to a team outside a call: shift, service status, location."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crisis import audit
from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import User
from dispatch import events, jobs

from .models import MANUAL_TRANSITIONS, Team, TeamStatus


def _team_groups(team: Team) -> list[str]:
    return [events.dispatch_group(team.region), events.SUPERVISORS_GROUP, events.team_group(team.pk)]


def team_set_status(
    *,
    team: Team,
    status: str,
    by: User | None,
    latitude: float | None = None,
    longitude: float | None = None,
    expected_version: int | None = None,
) -> Team:
    """Shift and service changes (on shift, out of service, off shift).

    Offer and call statuses are not set here: they follow the call through
    dispatch.services so that a team can never look free while it holds a call.
    """
    if status not in TeamStatus.values:
        raise InvalidInput(f"Unknown team status {status!r}.", field="status")
    from dispatch.services import team_summary

    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        if expected_version is not None and expected_version != team.version:
            raise Conflict("This change was made against an old view of the team; reload and try again.")
        allowed = MANUAL_TRANSITIONS.get(team.status, frozenset())
        if status not in allowed:
            if team.status not in MANUAL_TRANSITIONS:
                raise InvalidTransition(
                    f"{team.name} is {team.get_status_display().lower()}: finish or hand back the call first."
                )
            raise InvalidTransition(
                f"A team that is {team.get_status_display().lower()} cannot become {TeamStatus(status).label.lower()}."
            )
        now = timezone.now()
        before = team.status
        Team.objects.filter(pk=team.pk).update(status=status, status_changed_at=now, version=F("version") + 1)
        if latitude is not None and longitude is not None:
            _set_location(team, latitude, longitude, now)
        team.refresh_from_db()
        audit.record(actor=by, action="responders.team.status_changed", obj=team, before=before, after=status)
        events.publish("team.status", {"team": team_summary(team)}, groups=_team_groups(team))
        if status == TeamStatus.AVAILABLE:
            # A call may have been waiting for exactly this team.
            jobs.enqueue_routing(region=team.region)
    return team


def _set_location(team: Team, latitude: float, longitude: float, now) -> None:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("Latitude must be within ±90 and longitude within ±180.", field="latitude")
    Team.objects.filter(pk=team.pk).update(latitude=latitude, longitude=longitude, location_reported_at=now)


def team_report_location(*, team: Team, latitude: float, longitude: float, by: User | None) -> Team:
    from dispatch.services import team_summary

    with transaction.atomic():
        now = timezone.now()
        _set_location(team, latitude, longitude, now)
        team.refresh_from_db()
        events.publish("team.location", {"team": team_summary(team)}, groups=_team_groups(team))
    return team
