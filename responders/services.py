"""Everything that can happen to a team outside a call: shift, service status, location."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crisis import audit
from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import User
from dispatch import events, jobs

from .models import MANUAL_TRANSITIONS, SosAlert, Team, TeamStatus


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


# --- emergencies ---------------------------------------------------------------------
def alert_summary(alert: SosAlert) -> dict:
    """What the board and the team's phones need to show one SOS alert."""
    return {
        "id": alert.pk,
        "team_id": alert.team_id,
        "team_name": alert.team.name,
        "raised_by": alert.raised_by.get_full_name() or alert.raised_by.get_username(),
        "raised_at": alert.raised_at.isoformat(),
        "latitude": alert.latitude,
        "longitude": alert.longitude,
        "location_reported_at": alert.location_reported_at.isoformat() if alert.location_reported_at else None,
        "call_id": alert.call_id,
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "acknowledged_by": (alert.acknowledged_by.get_username() if alert.acknowledged_by_id else None),
    }


def team_raise_sos(*, team: Team, by: User, latitude: float | None = None, longitude: float | None = None) -> SosAlert:
    """A responder presses the emergency button: record it with the team's last location, tell dispatch at once.

    A position sent with the alert is fresher than the last periodic report,
    so it updates the team first.
    """
    from dispatch.models import ACTIVE_ASSIGNMENT, Assignment
    from dispatch.services import team_summary

    if (latitude is None) != (longitude is None):
        raise InvalidInput("Give both latitude and longitude, or neither.", field="longitude")
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        now = timezone.now()
        if latitude is not None:
            _set_location(team, latitude, longitude, now)
            team.refresh_from_db()
        call_id = (
            Assignment.objects.filter(team=team, status__in=ACTIVE_ASSIGNMENT).values_list("call_id", flat=True).first()
        )
        alert = SosAlert.objects.create(
            team=team,
            raised_by=by,
            raised_at=now,
            latitude=team.latitude,
            longitude=team.longitude,
            location_reported_at=team.location_reported_at,
            call_id=call_id,
        )
        audit.record(
            actor=by,
            action="responders.sos.raised",
            obj=alert,
            team=team.pk,
            call=call_id,
            latitude=team.latitude,
            longitude=team.longitude,
        )
        events.publish("sos.raised", {"alert": alert_summary(alert)}, groups=_team_groups(team))
        if latitude is not None:
            events.publish("team.location", {"team": team_summary(team)}, groups=_team_groups(team))
    return alert


def alert_acknowledge(*, alert: SosAlert, by: User) -> SosAlert:
    with transaction.atomic():
        alert = SosAlert.objects.select_for_update().select_related("team", "raised_by").get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            who = alert.acknowledged_by.get_username() if alert.acknowledged_by_id else "someone"
            raise InvalidTransition(
                f"This alert was already acknowledged by {who} at {timezone.localtime(alert.acknowledged_at):%H:%M:%S}."
            )
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = by
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit.record(actor=by, action="responders.sos.acknowledged", obj=alert, team=alert.team_id)
        events.publish("sos.acknowledged", {"alert": alert_summary(alert)}, groups=_team_groups(alert.team))
    return alert
