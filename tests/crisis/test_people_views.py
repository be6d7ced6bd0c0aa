"""The find-a-person and duplicates pages (crisis/people_views.py)."""

from __future__ import annotations

from datetime import date

import pytest

from crisis.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(db):
    a = Person.objects.create(first_name="Óscar", last_name="Reyes", date_of_birth=date(1968, 9, 9), phone="3125550177")
    b = Person.objects.create(first_name="Oscar", last_name="Reyes", phone="(312) 555-0177")
    return a, b


def test_the_desk_finds_by_phone_and_sees_the_duplicate_flag(client, dana, pair):
    a, b = pair
    client.force_login(dana)
    r = client.get("/people/", {"phone": "555 0177"})
    assert r.status_code == 200
    html = r.content.decode()
    assert html.count("possible duplicate</span>") == 2
    # A dispatcher may not open the record: names without links.
    assert f'href="/people/{a.pk}/"' not in html


def test_a_bad_search_is_a_form_error(client, rita, pair):
    client.force_login(rita)
    r = client.get("/people/", {"name": ""})
    assert r.status_code == 400
    assert "Give a name" in r.content.decode()


def test_a_supervisor_merges_from_the_duplicates_page(client, sue, pair):
    a, b = pair
    client.force_login(sue)
    assert b"Same phone" in client.get("/people/duplicates/").content
    r = client.post("/people/merge/", {"keep": a.pk, "merge": b.pk, "reason": "same phone, same name"})
    assert r.status_code == 302
    b.refresh_from_db()
    assert b.merged_into == a
    again = client.post("/people/merge/", {"keep": a.pk, "merge": b.pk, "reason": "again"})
    assert again.status_code == 409
    assert b"already merged" in again.content


def test_a_merge_without_a_reason_is_a_form_error(client, sue, pair):
    a, b = pair
    client.force_login(sue)
    r = client.post("/people/merge/", {"keep": a.pk, "merge": b.pk, "reason": ""})
    assert r.status_code == 400
    b.refresh_from_db()
    assert b.merged_into is None
