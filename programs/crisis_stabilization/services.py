"""Crisis stabilization episodes: opened with goals, an owner and a due time; short-term case-management contacts,
each setting when the next is due; closed with the outcome (stable in the community, inpatient, jail, other)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis import audit, permissions
from crisis.errors import Conflict, InvalidInput, InvalidTransition

from .models import ContactMethod, Episode, EpisodeContact, Outcome

KIND = "crisis_stabilization"
NOTE_MAX = 4000
FIRST_CONTACT_DUE = timedelta(hours=24)  # a person just stabilized is seen again within a day
LONGEST_EPISODE = timedelta(days=90)  # short-term: anything longer is another program's work


def _text(value: str, *, field: str, required: bool = False, message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(message or "This is required.", field=field)
    if len(value) > NOTE_MAX:
        raise InvalidInput(f"At most {NOTE_MAX:,} characters.", field=field)
    return value


def _due(due_at: datetime, *, now: datetime, field: str) -> datetime:
    if due_at <= now:
        raise InvalidInput("The next contact must be due in the future.", field=field)
    if due_at > now + LONGEST_EPISODE:
        raise InvalidInput("Too far ahead for a short-term episode.", field=field)
    return due_at


def episode_open(
    *,
    person,
    team,
    owner,
    by,
    goals: str,
    planned_end_on: date,
    due_at: datetime | None = None,
) -> Episode:
    if team.program.kind != KIND:
        raise InvalidInput(f"{team.name} is not a crisis stabilization team.", field="team")
    permissions.require(
        permissions.may_open_episode_on_team, by, team, "Only the team's members or a supervisor may open an episode."
    )
    if not owner.is_active or not permissions.is_active_member_of_team.test(owner, team):
        raise InvalidInput(f"{owner.get_full_name() or owner} is not an active member of {team.name}.", field="owner")
    goals = _text(goals, field="goals", required=True, message="Write the episode's goals.")
    now = timezone.now()
    today = timezone.localdate()
    if not today <= planned_end_on <= today + LONGEST_EPISODE:
        raise InvalidInput("The planned end is today or within 90 days.", field="planned_end_on")
    due_at = _due(due_at or now + FIRST_CONTACT_DUE, now=now, field="due_at")
    try:
        with transaction.atomic():
            episode = Episode.objects.create(
                person=person,
                team=team,
                owner=owner,
                goals=goals,
                opened_at=now,
                opened_by=by,
                planned_end_on=planned_end_on,
                due_at=due_at,
            )
            audit.record(
                actor=by, action="crisis_stabilization.episode.opened", obj=episode, person=person.pk, owner=owner.pk
            )
    except IntegrityError as exc:
        raise Conflict(f"{person} already has an open stabilization episode.") from exc
    return episode


def episode_contact_record(
    *, episode: Episode, by, method: str, next_due_at: datetime, reached: bool = True, note: str = ""
) -> EpisodeContact:
    """A contact, and when the next one is due (the episode's new due time)."""
    permissions.require(permissions.may_work_episode, by, episode, "Only the episode's owner, team or a supervisor.")
    if method not in ContactMethod.values:
        raise InvalidInput(f"Unknown contact method {method!r}.", field="method")
    if not isinstance(reached, bool):
        raise InvalidInput("Say whether the person was reached.", field="reached")
    note = _text(note, field="note")
    now = timezone.now()
    next_due_at = _due(next_due_at, now=now, field="next_due_at")
    with transaction.atomic():
        current = Episode.objects.select_for_update().get(pk=episode.pk)
        if current.closed_at is not None:
            raise InvalidTransition("This episode is closed.")
        contact = EpisodeContact.objects.create(
            episode=current, at=now, by=by, method=method, reached=reached, note=note
        )
        current.due_at = next_due_at
        current.save(update_fields=["due_at"])
        audit.record(
            actor=by,
            action="crisis_stabilization.contact.recorded",
            obj=contact,
            episode=current.pk,
            person=current.person_id,
            next_due_at=next_due_at.isoformat(),
        )
    return contact


def episode_close(*, episode: Episode, by, outcome: str, note: str = "") -> Episode:
    permissions.require(permissions.may_work_episode, by, episode, "Only the episode's owner, team or a supervisor.")
    if outcome not in Outcome.values:
        raise InvalidInput("Say how the episode ended.", field="outcome")
    note = _text(note, field="note")
    with transaction.atomic():
        now = timezone.now()
        updated = Episode.objects.filter(pk=episode.pk, closed_at__isnull=True).update(
            closed_at=now, closed_by=by, outcome=outcome, close_note=note
        )
        if not updated:  # conditional update: a second close (a replayed tap, another worker) changes nothing
            raise InvalidTransition("This episode is already closed.")
        episode.refresh_from_db()
        audit.record(
            actor=by,
            action="crisis_stabilization.episode.closed",
            obj=episode,
            person=episode.person_id,
            outcome=outcome,
        )
    return episode
