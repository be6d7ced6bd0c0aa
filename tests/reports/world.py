"""The reports' hand-computed world (the same numbers on SQLite and PostgreSQL), shared by tests/reports/.

The fixture, seconds after each call's received_at (each rang then; it was answered as many seconds later as it
was triaged, so the answer standard's figures stand where they were when triage stood in for the answer):

    call  team  tier         area   triaged assigned arrived  closed  disposition
    c1    A     community    urban  10      70       1270     4270    stabilized          (person P)
    c2    A     community    rural  20      50       4050     7650    ed_transport        (person P, 10 days later)
    c3    B     co_response  urban  5       105      –        2000    police_arrest       (no arrival time)
    c4    –     phone        urban  40      –        –        640     resolved_by_phone
    c5    –     –            urban  –       –        –        –       (still received, open)
    c6    B     community    urban  10      60       4000     5000    referred
"""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from crisis.models import Person
from dispatch.models import Call, Status
from programs.mobile_crisis.models import FollowUp
from reports.filters import Filters

DAY = timezone.datetime(2026, 3, 2).date()  # a Monday


def at(day_offset=0, hour=10):
    return datetime.combine(DAY + timedelta(days=day_offset), time(hour), tzinfo=timezone.get_current_timezone())


def mk(received, *, answered=None, triaged=None, assigned=None, arrived=None, closed=None, **kw):
    s = lambda v: None if v is None else received + timedelta(seconds=v)
    defaults = dict(source="911", address="1 Main St", call_type="mental_health", nature="x", area_type="urban")
    return Call.objects.create(
        received_at=received,
        # Every call in this world rang at its received time; the phone system reported the pick-up.
        rang_at=received,
        answered_at=s(answered),
        triaged_at=s(triaged),
        assigned_at=s(assigned),
        arrived_at=s(arrived),
        closed_at=s(closed),
        **(defaults | kw),
    )


@pytest.fixture
def world(mobile_crisis, team_a, team_b):
    p = Person.objects.create(first_name="Pat", last_name="Repeat")
    closed = dict(status=Status.CLOSED)
    c = {}
    c[1] = mk(at(0), answered=10, triaged=10, assigned=70, arrived=1270, closed=4270, tier="community", priority=2,
              team=team_a, program=mobile_crisis, disposition="stabilized", person=p, **closed)  # fmt: skip
    c[2] = mk(at(10), answered=20, triaged=20, assigned=50, arrived=4050, closed=7650, tier="community", priority=1,
              area_type="rural", source="988", team=team_a, program=mobile_crisis, disposition="ed_transport",
              person=p, **closed)  # fmt: skip
    c[3] = mk(at(1), answered=5, triaged=5, assigned=105, closed=2000, tier="co_response", priority=1,
              team=team_b, program=mobile_crisis, disposition="police_arrest", **closed)  # fmt: skip
    c[4] = mk(
        at(2, 3),
        answered=40,
        triaged=40,
        closed=640,
        tier="phone",
        priority=4,
        disposition="resolved_by_phone",
        **closed,
    )
    c[5] = mk(at(3))
    c[6] = mk(at(4, 22), answered=10, triaged=10, assigned=60, arrived=4000, closed=5000, tier="community", priority=3,
              source="partner", team=team_b, program=mobile_crisis, disposition="referred", **closed)  # fmt: skip
    FollowUp.objects.create(call=c[1], due_at=c[1].arrived_at, completed_at=c[1].arrived_at + timedelta(hours=24))
    FollowUp.objects.create(call=c[2], due_at=c[2].arrived_at, completed_at=c[2].arrived_at + timedelta(hours=80))
    FollowUp.objects.create(call=c[6], due_at=c[6].arrived_at)  # never completed: overdue
    return c


def filters(**kw):
    return Filters(**({"start": DAY, "end": DAY + timedelta(days=13)} | kw))


def rows(table, key):
    return {r[key]: r for r in table.rows}
