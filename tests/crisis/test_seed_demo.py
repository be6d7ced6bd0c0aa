"""crisis/management/commands/seed_demo.py: the demo administrator is an administrator, not a superuser."""

import pytest
from django.core.management import call_command

from crisis.models import User


@pytest.mark.django_db
def test_the_demo_administrator_has_the_role_and_no_superuser_flag(client):
    User.objects.create(username="admin", is_staff=True, is_superuser=True)  # an older demo database
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    admin = User.objects.get(username="admin")
    assert (admin.is_superuser, admin.is_staff, admin.role) == (False, True, "administrator")
    assert not User.objects.filter(is_superuser=True).exists()
    client.force_login(admin)
    assert client.get("/admin/crisis/auditentry/").status_code == 200
    assert client.get("/admin/crisis/user/").status_code == 403


@pytest.mark.django_db
def test_the_demo_fact_caseload_is_meaningful_and_seeding_twice_adds_nothing():
    from django.utils import timezone

    from programs.fact import selectors
    from programs.fact.models import Contact, Enrollment, OnCallShift

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (Enrollment.objects.count(), Contact.objects.count(), OnCallShift.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Enrollment.objects.count(), Contact.objects.count(), OnCallShift.objects.count()) == counts
    (load,) = selectors.caseloads_for(User.objects.get(username="supervisor"), now=timezone.now())
    assert (len(load.clients), load.staff, load.target) == (5, 3, 10)
    assert load.on_call is not None and load.on_call.member.phone
    assert Enrollment.objects.filter(discharged_on__isnull=False, discharge_reason="stepped_down").count() == 1


@pytest.mark.django_db
def test_the_demo_stabilization_caseload_has_due_overdue_and_closed_episodes():
    from django.utils import timezone

    from programs.crisis_stabilization.models import Episode

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    now = timezone.now()
    open_ = Episode.objects.filter(closed_at__isnull=True)
    assert open_.count() == 2 and sum(e.is_overdue(now) for e in open_) == 1
    closed = Episode.objects.filter(closed_at__isnull=False)
    assert sorted(closed.values_list("outcome", flat=True)) == ["inpatient", "stabilized"]  # avoided admission: 50 %


@pytest.mark.django_db
def test_the_demo_has_a_stalled_contact_escalated_to_its_owner_then_supervisors():
    from django.utils import timezone

    from programs import caseload
    from programs.models import Escalation

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert sorted(Escalation.objects.values_list("level", flat=True)) == ["owner", "supervisor"]
    owner = Escalation.objects.get(level="owner").owner
    today = caseload.caseload_today(by=owner, now=timezone.now())
    assert [e.level for e in today.escalations] == ["owner"] and today.overdue
    supervisor = caseload.caseload_today(by=User.objects.get(username="supervisor"), now=timezone.now())
    assert [e.level for e in supervisor.escalations] == ["supervisor"]
    assert "Crisis stabilization" in {p.program for p in supervisor.by_program()}


@pytest.mark.django_db
def test_the_demo_has_community_responder_outcomes_and_referrals_on_the_outcomes_report():
    from datetime import timedelta

    from django.utils import timezone

    from dispatch.models import Call
    from programs.community_responders.models import CallOutcome, Referral
    from reports.filters import Filters
    from reports.registry import build

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    outcomes = CallOutcome.objects.select_related("call__team")
    assert sorted(o.outcome for o in outcomes) == [
        "deescalated",
        "found_referred",
        "found_safe",
        "moved_on",
        "not_found",
    ]
    # Cleared through the services: closed calls of the community responders' team, each clear on its timeline.
    assert {(o.call.status, o.call.team.name) for o in outcomes} == {("closed", "CR-A")}
    assert Call.objects.filter(community_outcome__isnull=False, events__kind="call.closed").distinct().count() == 5
    assert sorted(Referral.objects.filter(call__community_outcome__isnull=False).values_list("status", flat=True)) == [
        "attended",
        "sent",
    ]
    today = timezone.localdate()
    report = build("program_outcomes", Filters(start=today - timedelta(days=6), end=today))
    total = report.tables["community_outcomes"].rows[-1]  # the range's total
    assert [total[k] for k in ("found_referred", "found_safe", "not_found", "deescalated", "moved_on")] == [1] * 5
    assert report.tables["referrals"].rows[-1]["attended"] == 1
