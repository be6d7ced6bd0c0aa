"""Every write to a team's live state: status, position, emergencies.

The one writer of these columns of `responders.Team`, so every change is
audited (`dispatch.team.status_changed`, `responders.sos.raised`, ...) and
published the same way whether a responder, a dispatcher or a call's
progress caused it. Team claims are conditional UPDATEs: of any racing
claimers exactly one wins.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from crisis import audit, permissions, realtime
from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import User
from crisis.sql import update_returning
from programs import plugins as program_plugins
from responders.models import MANUAL_TRANSITIONS, SosAlert, Team, TeamStatus

from . import jobs, selectors
from .models import ACTIVE_ASSIGNMENT, Assignment
from .rows import alert_summary, team_summary


def team_groups(team: Team) -> list[str]:
    return [realtime.dispatch_group(team.region), realtime.SUPERVISORS_GROUP, realtime.team_group(team.pk)]


# What a status write reads back in the same statement (UPDATE ... RETURNING): the team row a screen shows.
_STATUS_ROW = ("status", "status_changed_at", "version", "latitude", "longitude", "location_reported_at")


def _write_status(team: Team, status: str, now, *, from_statuses: tuple[str, ...] | None = None) -> bool:
    """One conditional UPDATE that bumps the version and returns the row; False when the condition failed."""
    row = update_returning(
        Team,
        team.pk,
        values={"status": status, "status_changed_at": now},
        increment="version",
        where_in={"status": from_statuses} if from_statuses is not None else None,
        returning=_STATUS_ROW,
    )
    if row is None:
        return False
    for name, value in row.items():
        setattr(team, name, value)
    return True


def _status_written(team: Team, *, before: str, by: User | None, call_id: int | None = None) -> None:
    """After any status write (the row already read back by it): audit it, tell the screens."""
    detail = {"before": before, "after": team.status}
    if call_id is not None:
        detail["call"] = call_id
    audit.record(actor=by, action="responders.team.status_changed", obj=team, **detail)
    realtime.publish("team.status", {"team": team_summary(team)}, groups=team_groups(team))


def claim_team(team: Team, *, from_statuses: tuple[str, ...], to: str, by: User | None, call_id: int) -> bool:
    """Conditional UPDATE: succeeds for exactly one of any racing claimers; only the winner audits and publishes."""
    before = team.status
    claimed = _write_status(team, to, timezone.now(), from_statuses=from_statuses)
    if claimed:
        _status_written(team, before=before if before in from_statuses else from_statuses[0], by=by, call_id=call_id)
    return claimed


def set_team_status(team: Team, status: str, now, *, by: User | None = None, call_id: int | None = None) -> None:
    """A status that follows the team's call (assigned, on scene, available again after clearing)."""
    before = team.status
    _write_status(team, status, now)
    _status_written(team, before=before, by=by, call_id=call_id)


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
    dispatch.assignments so that a team can never look free while it holds a call.
    """
    if status not in TeamStatus.values:
        raise InvalidInput(f"Unknown team status {status!r}.", field="status")
    permissions.require(permissions.may_act_for_team, by, team, "You can change only your own team's status.")
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
        if latitude is not None and longitude is not None:
            set_location(team, latitude, longitude, now)
        _write_status(team, status, now)  # reads back the position written just before, too
        _status_written(team, before=before, by=by)
        if status == TeamStatus.AVAILABLE:
            # A call may have been waiting for exactly this team.
            jobs.enqueue_routing(region=team.region)
    return team


def set_location(team: Team, latitude: float, longitude: float, now) -> None:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("Latitude must be within ±90 and longitude within ±180.", field="latitude")
    Team.objects.filter(pk=team.pk).update(latitude=latitude, longitude=longitude, location_reported_at=now)


def team_report_location(*, team: Team, latitude: float, longitude: float, by: User | None) -> Team:
    permissions.require(permissions.may_act_for_team, by, team, "You can report only your own team's location.")
    with transaction.atomic():
        now = timezone.now()
        set_location(team, latitude, longitude, now)
        team.refresh_from_db()
        realtime.publish("team.location", {"team": team_summary(team)}, groups=team_groups(team))
        # The ETA of the call the team is driving to moved with it (e.g. on an officer's consult).
        program_plugins.team_moved(team)
    return team


def team_raise_sos(*, team: Team, by: User, latitude: float | None = None, longitude: float | None = None) -> SosAlert:
    """A responder presses the emergency button: record it with the team's last location, tell dispatch at once.

    A position sent with the alert is fresher than the last periodic report,
    so it updates the team first.
    """
    if (latitude is None) != (longitude is None):
        raise InvalidInput("Give both latitude and longitude, or neither.", field="longitude")
    permissions.require(permissions.may_raise_sos, by, team, "You can raise an alert only for your own team.")
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        now = timezone.now()
        if latitude is not None:
            set_location(team, latitude, longitude, now)
            team.refresh_from_db()
        held = (
            Assignment.objects.filter(team=team, status__in=ACTIVE_ASSIGNMENT)
            .values_list("call_id", "call__address")
            .first()
        )
        call_id, call_address = held or (None, "")
        alert = SosAlert.objects.create(
            # Where to send help, in words: the call's address while on a call (the team is there or on its
            # way; the coordinates show which), else the nearest known address; never only coordinates.
            address=call_address or selectors.address_near(team.latitude, team.longitude),
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
        realtime.publish("sos.raised", {"alert": alert_summary(alert)}, groups=team_groups(team))
        if latitude is not None:
            realtime.publish("team.location", {"team": team_summary(team)}, groups=team_groups(team))
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
        realtime.publish("sos.acknowledged", {"alert": alert_summary(alert)}, groups=team_groups(alert.team))
    return alert
