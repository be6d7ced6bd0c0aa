"""factory_boy factories for variations on the named personas' world (tests/conftest.py).

Calls are made through `dispatch.services.call_create`, never by saving a row, so a
factory-made call has its timeline like any other.
"""

from __future__ import annotations

import factory

from crisis.models import Person
from programs.models import Program
from responders.models import Team, TeamStatus
from tests.conftest import CALL_DEFAULTS, CENTER


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")
    kind = "mobile_crisis"
    tiers = ["community", "co_response"]
    center_latitude, center_longitude = CENTER
    radius_km = 50


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    program = factory.SubFactory(ProgramFactory)
    status = TeamStatus.AVAILABLE
    latitude, longitude = CENTER


class CallFactory(factory.Factory):
    """`CallFactory(by=dana, call_type="suicidal")`: a call created through the service."""

    class Meta:
        model = dict

    by = None

    @classmethod
    def _create(cls, model_class, *args, by=None, **overrides):
        from dispatch import services

        return services.call_create(by=by, **(CALL_DEFAULTS | overrides))


def closed_field_response(new_call, dana, responder, team, **call):
    """A call `team` went out to and closed, through the services: mobile crisis schedules its follow-up.

    Returns the open follow-up.
    """
    from dispatch import services
    from dispatch.models import Status
    from programs.mobile_crisis.models import FollowUp

    c = new_call(**call)
    services.call_triage(call=c, screen={}, by=dana)
    services.call_assign(call=c, team=team, by=dana, reason="radio")
    services.call_advance(call=c, to=Status.ON_SCENE, by=responder)
    services.call_close(call=c, disposition="stabilized", by=responder)
    return FollowUp.objects.get(call=c, completed_at__isnull=True)


def api_token(user, role: str | None = None, days: int | None = None) -> str:
    """A fresh API token's key for `user` (as their first role unless named), through the one issuer."""
    from crisis.tokens import api_token_issue

    return api_token_issue(user=user, role=role, by=None, lifetime_days=days)[1]
