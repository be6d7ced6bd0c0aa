"""Issue 9: the desk's call search (selectors.call_search, /dispatch/search/, GET /api/calls/search/): by call
number, address, callback number, person name, date range and status; paginated; one audit row per page read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.models import AuditEntry, Person
from dispatch import selectors
from dispatch.forms import CallSearchForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(new_call, dana):
    ann = Person.objects.create(first_name="Ann", last_name="Okafor")
    now = timezone.now()
    return {
        "elm": new_call(address="12 Elm St.", callback_number="(312) 555-0199", caller_name="Mo Reyes"),
        "lake": new_call(address="1200 W Lake St", callback_number="773.555.0123", person=ann),
        "old": new_call(address="40 Oak Ave", caller_name="Jo Park", received_at=now - timedelta(days=10)),
    }


def search(dana, **criteria):
    form = CallSearchForm(criteria)
    assert form.is_valid(), form.errors
    return {c.pk for c in selectors.call_search(user=dana, **form.criteria())}


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"address": "12 elm st"}, {"elm"}),
        ({"address": "Lake"}, {"lake"}),
        ({"callback": "312-555-0199"}, {"elm"}),
        ({"callback": "5550123"}, {"lake"}),
        ({"name": "okafor"}, {"lake"}),
        ({"name": "mo reyes"}, {"elm"}),
        ({"name": "ann reyes"}, set()),
        ({"status": "received"}, {"elm", "lake", "old"}),
        ({"status": "closed"}, set()),
    ],
)
def test_each_criterion_finds_its_calls(calls, dana, criteria, expected):
    assert search(dana, **criteria) == {calls[k].pk for k in expected}


def test_by_number_and_by_dates(calls, dana):
    assert search(dana, number=calls["old"].pk) == {calls["old"].pk}
    today = timezone.localdate()
    assert search(dana, since=today.isoformat()) == {calls["elm"].pk, calls["lake"].pk}
    old_day = timezone.localtime(calls["old"].received_at).date()
    assert search(dana, since=old_day.isoformat(), until=old_day.isoformat()) == {calls["old"].pk}


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ({}, "__all__"),
        ({"since": "2026-11-20", "until": "2026-11-01"}, "until"),
        ({"number": "abc"}, "number"),
        ({"number": "99999999999999"}, "number"),
        ({"status": "lost"}, "status"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_bad_criteria_are_refused_with_a_message(criteria, field):
    form = CallSearchForm(criteria)
    assert not form.is_valid() and field in form.errors


def test_api_search_is_paginated_and_audited_once_with_the_ids(client, calls, dana):
    client.force_login(dana)
    res = client.get("/api/calls/search/", {"address": "st", "limit": 1})
    assert res.status_code == 200
    body = res.json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"]
    shown = body["results"][0]["id"]
    entry = AuditEntry.objects.get(action="dispatch.calls.searched")
    assert entry.detail["calls"] == [shown] and entry.detail["criteria"] == ["address"]


def test_api_search_refuses_bad_input_and_other_roles(client, dana, rita, oli):
    client.force_login(dana)
    res = client.get("/api/calls/search/", {"since": "2026-11-20", "until": "2026-11-01"})
    assert res.status_code == 400 and "until" in res.json()
    assert client.get("/api/calls/search/").status_code == 400
    for user in (rita, oli):
        client.force_login(user)
        assert client.get("/api/calls/search/", {"address": "Elm"}).status_code == 403
    assert not AuditEntry.objects.filter(action="dispatch.calls.searched").exists()


def test_search_page_lists_pages_of_results(client, calls, dana, new_call, monkeypatch):
    monkeypatch.setattr("dispatch.views.SEARCH_PAGE_SIZE", 2)
    client.force_login(dana)
    page = client.get("/dispatch/search/", {"status": "received"})
    html = page.content.decode()
    assert page.status_code == 200 and "3 calls" in html and "page 1 of 2" in html and "Older" in html
    assert f"#{calls['old'].pk}<" not in html  # the oldest is on page 2
    second = client.get("/dispatch/search/", {"status": "received", "page": 2}).content.decode()
    assert f"#{calls['old'].pk}<" in second
    assert AuditEntry.objects.filter(action="dispatch.calls.searched").count() == 2
    bad = client.get("/dispatch/search/", {"since": "2026-11-20", "until": "2026-11-01"})
    assert bad.status_code == 400 and "The end date is before the start date." in bad.content.decode()
    assert client.get("/dispatch/search/").status_code == 200  # the empty form, no search, no audit row
    assert AuditEntry.objects.filter(action="dispatch.calls.searched").count() == 2
