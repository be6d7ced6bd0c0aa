"""reports/outcomes.py against the hand-computed world."""

import pytest

from crisis.models import Person
from reports.outcomes import NO_LAW_ENFORCEMENT_DEFINITION, outcomes_report
from tests.reports.world import at, filters, mk, rows


@pytest.mark.django_db
def test_outcomes(world):
    report = outcomes_report(filters())
    s = rows(report.tables["summary"], "measure")
    assert (s["Resolved by phone"]["calls"], s["Resolved by phone"]["of"]) == (1, 5)
    assert s["No law-enforcement involvement"]["calls"] == 4
    assert s["No law-enforcement involvement"]["share"] == pytest.approx(0.8)
    assert s["Ended in police involvement / arrest"]["calls"] == 1
    assert s["Ended in an involuntary hold"]["calls"] == 0
    assert s["Ended in emergency-department transport"]["calls"] == 1
    assert s["Stabilized in the community or referred"]["share"] == pytest.approx(0.4)
    repeat = s["Calls about a person with another call in the previous 30 days"]
    assert (repeat["calls"], repeat["of"]) == (1, 2)
    people = s["People with a repeat call within 30 days"]
    assert (people["calls"], people["of"]) == (1, 1)
    d = rows(report.tables["dispositions"], "disposition")
    assert d["Stabilized on scene"]["calls"] == 1 and d["Involuntary hold"]["calls"] == 0
    assert sum(r["calls"] for r in report.tables["dispositions"].rows) == 5
    assert NO_LAW_ENFORCEMENT_DEFINITION in report.notes


@pytest.mark.django_db
def test_repeat_window_is_thirty_days(world):
    p = Person.objects.create(first_name="Once", last_name="Again")
    mk(at(-31), person=p)  # 31 days before: not a repeat
    mk(at(0, 12), person=p)
    mk(at(-29), person=world[1].person)  # before the range, 29 days before c1: c1 becomes a repeat
    s = rows(outcomes_report(filters()).tables["summary"], "measure")
    repeat = s["Calls about a person with another call in the previous 30 days"]
    assert (repeat["calls"], repeat["of"]) == (2, 3)


@pytest.mark.django_db
def test_repeat_calls_are_what_the_window_over_the_calls_gives(world, team_b):
    """The repeat count is taken from the calls' columns (reports/columns.py); the oracle is the SQL it replaced:
    LAG over each person's calls by (received_at, id) from 30 days before the range, all programs."""
    from datetime import timedelta

    from django.db.models import F, Window
    from django.db.models.functions import Lag

    from dispatch.models import Call
    from reports.outcomes import REPEAT_DAYS

    people = [Person.objects.create(first_name=f"P{i}", last_name="Edge") for i in range(4)]
    first = world[1].received_at
    mk(first, person=people[0])  # two calls at the same instant: the id decides which one is "previous"
    mk(first, person=people[0], team=team_b)
    mk(first - timedelta(days=REPEAT_DAYS), person=people[1])  # exactly 30 days before: a repeat
    mk(first, person=people[1])
    mk(first - timedelta(days=REPEAT_DAYS, microseconds=1), person=people[2])  # a microsecond more: not one
    mk(first, person=people[2])
    mk(at(12, 23), person=people[3])
    mk(at(13, 23), person=people[3])  # the last hour of the range, a day after the other
    for f in (filters(), filters(team=team_b)):
        lag = Window(Lag("received_at"), partition_by=F("person"), order_by=(F("received_at").asc(), F("id").asc()))
        window = (
            Call.objects.filter(
                person__isnull=False,
                received_at__gte=f.start_at - timedelta(days=REPEAT_DAYS),
                received_at__lt=f.end_at,
            )
            .annotate(prev=lag)
            .filter(prev__gte=F("received_at") - timedelta(days=REPEAT_DAYS))
            .values("pk")
        )
        repeat = f.calls().filter(pk__in=window)
        s = rows(outcomes_report(f).tables["summary"], "measure")
        assert s["Calls about a person with another call in the previous 30 days"]["calls"] == repeat.count()
        assert s[f"People with a repeat call within {REPEAT_DAYS} days"]["calls"] == (
            repeat.values("person").distinct().count()
        )
    assert repeat.count() == 1  # team B's own: the second of the two at the same instant
