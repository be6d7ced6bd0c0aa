"""The consult program's world for tests: a program, an on-call shift (cam, backup kit), fixtures to import."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from programs.le_consult.models import KIND, OnCallShift
from programs.models import Program
from tests.conftest import CENTER, make_user


@pytest.fixture
def kit(db):
    """The backup clinician on the rota."""
    return make_user("kit", "clinician")


@pytest.fixture
def consult_program(db):
    return Program.objects.create(
        name="Officer consults", kind=KIND, tiers=[], center_latitude=CENTER[0], center_longitude=CENTER[1]
    )


@pytest.fixture
def on_call(consult_program, cam, kit):
    now = timezone.now()
    return OnCallShift.objects.create(
        program=consult_program,
        clinician=cam,
        backup=kit,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=11),
    )


@pytest.fixture
def request_consult(oli, on_call):
    from programs.le_consult import services

    def _make(**overrides):
        values = dict(need="advice", description="Man on the bridge rail, talking to himself")
        values |= dict(latitude=CENTER[0], longitude=CENTER[1], accuracy_m=12)
        return services.consult_request(by=oli, **(values | overrides))

    return _make
