"""The follow-up page: the team sees its own, a supervisor every team's (escalated first); recording closes one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.models import AuditEntry
from programs.mobile_crisis.models import FollowUp

pytestmark = pytest.mark.django_db

URL = "/programs/mobile_crisis/follow-ups/"


def _record_url(f):
    return f"{URL}{f.pk}/record/"


def test_a_responder_sees_only_their_team_s_follow_ups_and_the_read_is_audited(client, rita, follow_up_a, follow_up_b):
    client.force_login(rita)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="follow-up-{follow_up_a.pk}"' in html and "Marcus Hill" in html
    assert f'id="follow-up-{follow_up_b.pk}"' not in html and "red coat" not in html
    assert 'href="tel:312-555-0199"' in html
    entry = AuditEntry.objects.get(action="mobile_crisis.follow_ups.viewed")
    assert entry.actor == rita and entry.detail["follow_ups"] == [follow_up_a.pk]


def test_overdue_shows_red_and_the_due_clock(client, rita, follow_up_a):
    FollowUp.objects.filter(pk=follow_up_a.pk).update(due_at=timezone.now() - timedelta(hours=3, minutes=5))
    client.force_login(rita)
    html = client.get(URL).content.decode()
    assert '<span class="due-clock overdue"' in html and "overdue 3 h" in html
    FollowUp.objects.filter(pk=follow_up_a.pk).update(due_at=timezone.now() + timedelta(hours=5, minutes=5))
    html = client.get(URL).content.decode()
    assert '<span class="due-clock"' in html and "due in 5 h" in html


def test_a_supervisor_sees_every_team_s_escalated_first(client, sue, follow_up_a, follow_up_b):
    now = timezone.now()
    # B is due later but was escalated; A is due sooner and not escalated: B comes first for a supervisor.
    FollowUp.objects.filter(pk=follow_up_a.pk).update(due_at=now - timedelta(hours=2))
    FollowUp.objects.filter(pk=follow_up_b.pk).update(due_at=now - timedelta(hours=1), escalated_at=now)
    client.force_login(sue)
    html = client.get(URL).content.decode()
    a, b = html.index(f'id="follow-up-{follow_up_a.pk}"'), html.index(f'id="follow-up-{follow_up_b.pk}"')
    assert b < a
    assert "Escalated" in html and "Team B" in html


def test_the_team_s_list_is_most_urgent_first(client, rita, follow_up_a, new_call, dana, team_a):
    from .conftest import field_response

    later = field_response(new_call, dana, rita, team_a)
    FollowUp.objects.filter(pk=later.pk).update(due_at=timezone.now() + timedelta(hours=30))
    FollowUp.objects.filter(pk=follow_up_a.pk).update(due_at=timezone.now() + timedelta(hours=40))
    client.force_login(rita)
    html = client.get(URL).content.decode()
    assert html.index(f'id="follow-up-{later.pk}"') < html.index(f'id="follow-up-{follow_up_a.pk}"')


@pytest.mark.parametrize("who", ["dana", "cam", "oli", "nora"])
def test_roles_outside_the_team_and_its_supervisor_are_refused(request, client, follow_up_a, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    body = {f"f{follow_up_a.pk}-reached": "yes", f"f{follow_up_a.pk}-method": "phone"}
    assert client.post(_record_url(follow_up_a), body).status_code == 403
    assert FollowUp.objects.get(pk=follow_up_a.pk).completed_at is None


def test_recording_on_the_page_closes_it(client, rita, follow_up_a):
    client.force_login(rita)
    p = f"f{follow_up_a.pk}"
    body = {f"{p}-reached": "no", f"{p}-method": "visit", f"{p}-note": "Door unanswered", f"{p}-next_step": "Try again"}
    response = client.post(_record_url(follow_up_a), body)
    assert response.status_code == 302 and response["Location"] == URL
    follow_up_a.refresh_from_db()
    assert (follow_up_a.reached, follow_up_a.method, follow_up_a.note, follow_up_a.next_step) == (
        False,
        "visit",
        "Door unanswered",
        "Try again",
    )
    assert f'id="follow-up-{follow_up_a.pk}"' not in client.get(URL).content.decode()


def test_a_missing_answer_is_a_form_error_not_a_save(client, rita, follow_up_a):
    client.force_login(rita)
    response = client.post(_record_url(follow_up_a), {f"f{follow_up_a.pk}-method": "phone"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert FollowUp.objects.get(pk=follow_up_a.pk).completed_at is None


def test_another_team_s_follow_up_is_refused(client, bo, follow_up_a):
    client.force_login(bo)
    body = {f"f{follow_up_a.pk}-reached": "yes", f"f{follow_up_a.pk}-method": "phone"}
    assert client.post(_record_url(follow_up_a), body).status_code == 403
    assert client.post(f"{URL}999999/record/", body).status_code == 404


def test_recording_twice_says_so(client, rita, sue, follow_up_a):
    from programs.mobile_crisis import services

    services.follow_up_record(follow_up=follow_up_a, by=sue, reached=True)
    client.force_login(rita)
    body = {f"f{follow_up_a.pk}-reached": "yes", f"f{follow_up_a.pk}-method": "phone"}
    response = client.post(_record_url(follow_up_a), body, follow=True)
    assert "already recorded" in response.content.decode()


def test_the_page_does_not_query_per_follow_up(
    client, rita, follow_up_a, new_call, dana, team_a, django_assert_max_num_queries
):
    from .conftest import field_response

    for _ in range(3):
        field_response(new_call, dana, rita, team_a)
    client.force_login(rita)
    client.get(URL)
    with django_assert_max_num_queries(12):
        assert client.get(URL).status_code == 200
