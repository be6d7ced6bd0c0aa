"""Crisis stabilization episodes: open with an owner and a due time, contacts move the due time, close with outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisis.errors import Conflict, InvalidInput, InvalidTransition
from crisis.models import AuditEntry
from programs import plugins
from programs.crisis_stabilization import selectors, services
from programs.crisis_stabilization.models import Episode

pytestmark = pytest.mark.django_db


def test_open_sets_owner_due_time_and_audits(episode, cora):
    assert episode.owner == cora and episode.is_open
    assert timedelta(hours=23) < episode.due_at - timezone.now() <= timedelta(hours=24)
    assert AuditEntry.objects.get(action="crisis_stabilization.episode.opened").detail["owner"] == cora.pk


@pytest.mark.parametrize(
    "change, field",
    [
        ({"goals": "  "}, "goals"),
        ({"planned_end_on": -1}, "planned_end_on"),
        ({"planned_end_on": 200}, "planned_end_on"),
        ({"due_at": -1}, "due_at"),
    ],
)
def test_open_refuses_bad_input(person, stab_team, cora, change, field):
    kwargs = {"goals": "g", "planned_end_on": 7}
    kwargs |= change
    kwargs["planned_end_on"] = timezone.localdate() + timedelta(days=kwargs["planned_end_on"])
    if "due_at" in kwargs:
        kwargs["due_at"] = timezone.now() + timedelta(hours=kwargs["due_at"])
    with pytest.raises(InvalidInput) as err:
        services.episode_open(person=person, team=stab_team, owner=cora, by=cora, **kwargs)
    assert err.value.field == field
    assert not Episode.objects.exists()


def test_owner_must_be_on_the_team_and_only_the_team_opens(person, stab_team, cora, rita, sue):
    end = timezone.localdate() + timedelta(days=7)
    with pytest.raises(InvalidInput):
        services.episode_open(person=person, team=stab_team, owner=rita, by=sue, goals="g", planned_end_on=end)
    with pytest.raises(PermissionDenied):
        services.episode_open(person=person, team=stab_team, owner=cora, by=rita, goals="g", planned_end_on=end)


def test_one_open_episode_per_person(episode, stab_team, cora):
    with pytest.raises(Conflict):
        services.episode_open(
            person=episode.person,
            team=stab_team,
            owner=cora,
            by=cora,
            goals="again",
            planned_end_on=timezone.localdate() + timedelta(days=3),
        )


def test_a_contact_moves_the_due_time(episode, dev):
    due = timezone.now() + timedelta(days=2)
    services.episode_contact_record(episode=episode, by=dev, method="phone", next_due_at=due, note="Sleeping better")
    episode.refresh_from_db()
    assert episode.due_at == due
    with pytest.raises(InvalidInput):
        services.episode_contact_record(episode=episode, by=dev, method="phone", next_due_at=timezone.now())


def test_close_with_outcome_once(episode, cora, rita):
    with pytest.raises(PermissionDenied):
        services.episode_close(episode=episode, by=rita, outcome="stabilized")
    with pytest.raises(InvalidInput):
        services.episode_close(episode=episode, by=cora, outcome="fine")
    done = services.episode_close(episode=episode, by=cora, outcome="inpatient", note="Admitted voluntarily")
    assert (done.outcome, done.closed_by) == ("inpatient", cora)
    with pytest.raises(InvalidTransition):
        services.episode_close(episode=episode, by=cora, outcome="stabilized")
    with pytest.raises(InvalidTransition):
        services.episode_contact_record(
            episode=episode, by=cora, method="visit", next_due_at=timezone.now() + timedelta(days=1)
        )


def test_the_list_puts_mine_first_and_the_person_page_shows_it(episode, person, dev, sue, stab_team, new_call):
    from crisis.models import Person

    other = services.episode_open(
        person=Person.objects.create(first_name="Ines"),
        team=stab_team,
        owner=dev,
        by=dev,
        goals="g",
        planned_end_on=timezone.localdate() + timedelta(days=3),
        due_at=timezone.now() + timedelta(hours=1),
    )
    assert list(selectors.episodes_open_for(dev)) == [other, episode]
    assert list(selectors.episodes_open_for(sue)) == [other, episode]
    Episode.objects.filter(pk=episode.pk).update(due_at=timezone.now() - timedelta(hours=1))
    (item,) = [i for i in plugins.person_timeline(person) if i.kind == "stabilization"]
    assert item.open and item.overdue and item.url.endswith(f"/episodes/{episode.pk}/")
