"""Crisis stabilization fixtures: STAB-1 (cora, a case manager; dev, a peer), Marcus Hill's episode (owner cora)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from programs.crisis_stabilization import services
from programs.models import Program
from tests.conftest import make_team


@pytest.fixture
def stab_team(db):
    program = Program.objects.create(name="Stabilization", kind="crisis_stabilization", tiers=[])
    team, _ = make_team(
        "STAB-1", program, members=[("cora", "case_manager", ["en"], []), ("dev", "peer_specialist", ["en"], [])]
    )
    return team


@pytest.fixture
def cora(stab_team):
    return get_user_model().objects.get(username="cora")


@pytest.fixture
def dev(stab_team):
    return get_user_model().objects.get(username="dev")


@pytest.fixture
def episode(person, stab_team, cora):
    return services.episode_open(
        person=person,
        team=stab_team,
        owner=cora,
        by=cora,
        goals="Back home safely; outpatient intake booked",
        planned_end_on=timezone.localdate() + timedelta(days=14),
    )
