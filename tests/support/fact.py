"""FACT fixtures shared by the program's tests and the browser journeys: a FACT program, two teams, fay (a
clinician on FACT 1, with a phone number), hal (on FACT 2), Marcus Hill enrolled 60 days ago, fay on call now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from programs.fact import services
from programs.fact.models import OnCallShift
from programs.models import Program
from tests.conftest import make_team

ELIGIBLE = {"serious_mental_illness": True, "justice_involvement": "probation"}


@pytest.fixture
def fact_program(db):
    return Program.objects.create(name="FACT", kind="fact", tiers=["community"], clients_per_staff=10)


@pytest.fixture
def fact_team(fact_program):
    team, _ = make_team(
        "FACT 1",
        fact_program,
        members=[("fay", "licensed_clinician", ["en"], []), ("gus", "case_manager", ["en"], [])],
    )
    return team


@pytest.fixture
def fact_team_2(fact_program):
    team, _ = make_team("FACT 2", fact_program, members=[("hal", "nurse", ["en"], [])])
    return team


@pytest.fixture
def fay(fact_team):
    user = get_user_model().objects.get(username="fay")
    user.phone = "312-555-0177"
    user.save(update_fields=["phone"])
    return user


@pytest.fixture
def hal(fact_team_2):
    return get_user_model().objects.get(username="hal")


@pytest.fixture
def enrolled(person, fact_team, fay):
    return services.enrollment_create(
        person=person,
        team=fact_team,
        by=fay,
        diagnosis="Schizophrenia",
        arrests_before=3,
        jail_days_before=40,
        hospital_days_before=12,
        crisis_plan="Calm voice; sister Ana 312-555-0111; avoids uniforms",
        enrolled_on=timezone.localdate() - timedelta(days=60),
        **ELIGIBLE,
    )


@pytest.fixture
def fay_on_call(fact_team, fay):
    now = timezone.now()
    return OnCallShift.objects.create(
        team=fact_team, member=fay, starts_at=now - timedelta(hours=2), ends_at=now + timedelta(hours=10)
    )


@pytest.fixture
def after_hours(fact_program):
    """The FACT program's office is closed now: it opens in an hour and closes an hour after that (local time)."""
    now = timezone.localtime()
    fact_program.open_24_7 = False
    fact_program.opens_at = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    fact_program.closes_at = (now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    fact_program.save()
    return fact_program
