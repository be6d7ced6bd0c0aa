"""dispatch/management/commands/generate_history.py: seeded, plausible history the reports can read."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from dispatch.models import Call, Status
from programs.fact.models import Enrollment
from programs.mobile_crisis.models import FollowUp
from reports.filters import Filters
from reports.registry import REPORTS, build


def generate(**kw):
    out = io.StringIO()
    call_command("generate_history", stdout=out, **({"calls": 600, "days": 60, "seed": 5} | kw))
    return out.getvalue()


@pytest.mark.django_db
def test_generates_plausible_history():
    assert "Generated 600 calls" in generate()
    calls = Call.objects.all()
    assert calls.count() >= 600  # plus the demo's own few calls
    gen = calls.filter(caller_name="")  # the demo's own calls have a caller
    # Timestamps never run backwards.
    for a, b in [("received_at", "triaged_at"), ("triaged_at", "assigned_at"), ("assigned_at", "arrived_at"),
                 ("arrived_at", "closed_at"), ("received_at", "closed_at")]:  # fmt: skip
        assert not gen.filter(**{f"{b}__lt": F(a)}).exists(), (a, b)
    assert not gen.filter(received_at__gt=timezone.now()).exists()
    assert gen.filter(received_at__lt=timezone.now() - timedelta(days=50)).exists()
    # Closed calls have a disposition; some timestamps are missing, as in real data.
    assert not gen.filter(status=Status.CLOSED, disposition="").exists()
    assert gen.filter(status=Status.CLOSED, triaged_at__isnull=True).exists()
    assert gen.filter(status=Status.CLOSED, tier__in=["community", "co_response"], arrived_at__isnull=True).exists()
    assert gen.filter(status=Status.CANCELLED).exists()
    # People come back.
    assert gen.values("person").exclude(person=None).annotate(n=Count("id")).filter(n__gt=1).exists()
    # More calls in the evening than before dawn.
    local = [timezone.localtime(t).hour for t in gen.values_list("received_at", flat=True)]
    assert sum(18 <= h < 22 for h in local) > 2 * sum(2 <= h < 6 for h in local)
    assert FollowUp.objects.filter(completed_at__isnull=False).exists()
    assert Enrollment.objects.filter(discharged_on__isnull=True).count() > 10
    assert gen.filter(Q(team__isnull=False) & Q(assigned_at__isnull=True)).count() == 0
    f = Filters(start=timezone.localdate() - timedelta(days=59), end=timezone.localdate())
    for name in REPORTS:
        build(name, f)


@pytest.mark.django_db
def test_same_seed_same_history():
    generate(seed=9, calls=40)
    generate(seed=9, calls=40)
    generate(seed=10, calls=40)
    rows = list(
        Call.objects.filter(caller_name="")
        .order_by("pk")
        .values_list("tier", "priority", "area_type", "call_type", "source", "address")
    )
    assert len(rows) == 120
    assert rows[:40] == rows[40:80]
    assert rows[:40] != rows[80:]


@pytest.mark.django_db
def test_bad_arguments():
    with pytest.raises(CommandError):
        generate(days=0)
