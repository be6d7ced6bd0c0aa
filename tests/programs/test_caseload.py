""" "My caseload today": each program's hand-offs through the plug-in hook, for a worker and for supervisors; the
page, the API snapshot, acknowledging an escalation, and the caseload socket's groups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crisis import permissions, realtime
from crisis.models import AuditEntry
from programs import caseload, escalations
from programs.fact import services as fact
from programs.models import Escalation
from tests.factories import closed_field_response
from tests.support.fact import ELIGIBLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up_a(new_call, dana, rita, team_a, person):
    return closed_field_response(new_call, dana, rita, team_a, person=person)


@pytest.fixture
def follow_up_b(new_call, dana, bo, team_b):
    return closed_field_response(new_call, dana, bo, team_b)


def kinds(items):
    return [i.kind for i in items]


def test_a_worker_sees_their_teams_hand_offs_due_today_newest_due_first(follow_up_a, follow_up_b, rita):
    now = follow_up_a.due_at + timedelta(minutes=1)
    today = caseload.caseload_today(by=rita, now=now)
    assert [i.key.split(":")[1] for i in today.items] == [str(follow_up_a.pk)]
    assert today.items[0].url.endswith(f"#follow-up-{follow_up_a.pk}") and today.overdue == today.items
    # Two days earlier the follow-up is not due that day.
    assert caseload.caseload_today(by=rita, now=now - timedelta(days=2)).items == []
    entry = AuditEntry.objects.filter(action="programs.caseload.viewed").last()
    assert entry.actor == rita and entry.detail["people"] == [follow_up_a.call.person_id]


def test_a_supervisor_sees_every_programs_items_with_owners(follow_up_a, follow_up_b, episode, cora, sue):
    now = timezone.now() + timedelta(days=3)
    today = caseload.caseload_today(by=sue, now=now)
    assert sorted(kinds(today.items)) == ["follow-up", "follow-up", "stabilization contact"]
    assert [i.due_at for i in today.items] == sorted((i.due_at for i in today.items), reverse=True)
    programs = {p.program: [i.owner_name or i.team_name for i in p.items] for p in today.by_program()}
    assert programs["Crisis stabilization"] == ["Cora"]
    assert sorted(programs["Mobile crisis"]) == ["Team A", "Team B"]


def test_a_fact_client_without_a_contact_for_a_week_is_due_one(fact_team, person, sue):
    fay = fact_team.members.get(user__username="fay").user
    enrollment = fact.enrollment_create(person=person, team=fact_team, by=fay, **ELIGIBLE)
    items = caseload.caseload_today(by=fay, now=timezone.now() + timedelta(days=8)).items
    assert kinds(items) == ["FACT contact"] and items[0].url.endswith(f"/clients/{enrollment.pk}/")
    fact.contact_record(enrollment=enrollment, by=fay, method="visit", note="Doing well")
    assert caseload.caseload_today(by=fay, now=timezone.now() + timedelta(days=2)).items == []


def test_escalations_raised_to_me_are_on_my_caseload(follow_up_a, rita, bo, sue, settings):
    settings.CARE_ESCALATION_GRACE_MINUTES = 0
    escalations.escalations_raise(now=follow_up_a.due_at + timedelta(minutes=1))
    now = follow_up_a.due_at + timedelta(minutes=2)
    assert [e.level for e in caseload.caseload_today(by=rita, now=now).escalations] == ["owner"]
    assert caseload.caseload_today(by=bo, now=now).escalations == []
    # A supervisor's list holds the supervisors' alerts (the owners' would say the same thing twice).
    assert [e.level for e in caseload.caseload_today(by=sue, now=now).escalations] == ["supervisor"]


def test_the_caseload_socket_joins_my_inbox_my_team_and_the_supervisors(rita, sue, dana):
    assert permissions.care_stream_groups_for(rita) == [
        realtime.inbox_group(rita.pk),
        realtime.care_team_group(permissions.active_team_id(rita)),
        realtime.user_group(rita.pk),
    ]
    assert realtime.CARE_SUPERVISORS_GROUP in permissions.care_stream_groups_for(sue)
    assert permissions.care_stream_groups_for(dana) is None


def test_the_page_lists_each_row_with_a_link_and_acknowledges(client, follow_up_a, rita, settings, monkeypatch):
    escalations.escalations_raise(now=timezone.now() + timedelta(days=3))
    client.force_login(rita)
    page = client.get(reverse("programs:care:caseload"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "My caseload today" in html and f"#follow-up-{follow_up_a.pk}" in html and "Acknowledge" in html
    e = Escalation.objects.get()
    answer = client.post(reverse("programs:care:escalation-acknowledge", args=[e.pk]), follow=True)
    assert "Acknowledged" in answer.content.decode()
    e.refresh_from_db()
    assert e.acknowledged_by == rita
    again = client.post(reverse("programs:care:escalation-acknowledge", args=[e.pk]), follow=True)
    assert "already acknowledged" in again.content.decode()


def test_the_api_snapshot_and_acknowledge(client, follow_up_a, rita, bo):
    escalations.escalations_raise(now=timezone.now() + timedelta(days=3))
    e = Escalation.objects.get()
    client.force_login(rita)
    body = client.get(reverse("programs:care:api-caseload")).json()
    assert {"now", "epoch", "seq", "items", "escalations"} <= set(body)
    assert [x["id"] for x in body["escalations"]] == [e.pk]
    url = reverse("programs:care:api-escalation-acknowledge", args=[e.pk])
    assert client.post(url).json()["acknowledged_by"] == rita.pk
    assert client.post(url).status_code == 409
    client.force_login(bo)
    assert client.post(url).status_code == 403
    assert client.post(reverse("programs:care:api-escalation-acknowledge", args=[10**12])).status_code == 404


def test_the_top_bar_links_my_caseload_for_workers_only(client, rita, dana):
    client.force_login(rita)
    assert reverse("programs:care:caseload") in client.get(reverse("programs:care:caseload")).content.decode()
    client.force_login(dana)
    assert client.get(reverse("programs:care:caseload")).status_code == 403
