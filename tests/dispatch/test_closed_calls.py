"""The closed-calls list (dispatch.views.closed, dispatch.selectors.closed_calls): newest first, filtered, audited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.models import AuditEntry
from dispatch import services
from dispatch.models import Call

URL = "/dispatch/closed/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def ended(new_call, dana):
    phone = new_call(nature="Talked down")
    services.call_triage(call=phone, screen={"phone_engaged": True}, by=dana)
    services.call_resolve_by_phone(call=phone, by=dana, note="Safety plan")
    gone = new_call(nature="Hung up")
    services.call_cancel(call=gone, by=dana, reason="Caller hung up, no answer on callback")
    still_open = new_call(nature="Still open")
    return {"phone": phone, "gone": gone, "open": still_open}


def ids(response):
    return [c.pk for c in response.context["page"].object_list]


def test_lists_ended_calls_most_recent_first_with_links(client, dana, ended):
    client.force_login(dana)
    response = client.get(URL)
    assert response.status_code == 200
    assert ids(response) == [ended["gone"].pk, ended["phone"].pk]
    assert f'href="/dispatch/calls/{ended["phone"].pk}/"' in response.content.decode()
    entry = AuditEntry.objects.get(action="dispatch.calls.closed_listed")
    assert entry.detail["calls"] == [ended["gone"].pk, ended["phone"].pk]


def test_filters_by_disposition_team_and_day(client, dana, ended, team_a):
    client.force_login(dana)
    assert ids(client.get(URL, {"disposition": "resolved_by_phone"})) == [ended["phone"].pk]
    assert ids(client.get(URL, {"disposition": "cancelled"})) == [ended["gone"].pk]
    assert ids(client.get(URL, {"team": team_a.pk})) == []
    today = timezone.localdate()
    assert len(ids(client.get(URL, {"since": today.isoformat(), "until": today.isoformat()}))) == 2
    yesterday = (today - timedelta(days=1)).isoformat()
    assert ids(client.get(URL, {"until": yesterday})) == []


def test_bad_filters_are_a_form_error_not_a_500(client, dana, ended):
    client.force_login(dana)
    response = client.get(URL, {"since": "2026-02-30"})
    assert response.status_code == 400 and response.context["form"].errors
    response = client.get(URL, {"since": "2026-03-02", "until": "2026-03-01"})
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action="dispatch.calls.closed_listed").exists()


def test_pages_of_25(client, dana, new_call):
    for n in range(27):
        call = new_call(nature=f"n{n}")
        services.call_cancel(call=call, by=dana, reason="test")
    client.force_login(dana)
    first = client.get(URL)
    assert len(ids(first)) == 25 and first.context["page"].has_next()
    assert len(ids(client.get(URL, {"page": 2}))) == 2
    assert Call.objects.count() == 27


@pytest.mark.parametrize("persona", ["oli", "rita", "nora"])
def test_only_the_desk_sees_it(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
