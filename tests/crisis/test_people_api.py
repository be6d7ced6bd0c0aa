"""The people API (crisis/people_api.py): search, possible duplicates, the merge (409 when it cannot be)."""

from __future__ import annotations

from datetime import date

import pytest

from crisis.models import Alias, AuditEntry, Person, PersonMerge

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(db):
    a = Person.objects.create(
        first_name="Renée", last_name="Dubois", date_of_birth=date(1975, 2, 3), phone="312 555 0142"
    )
    b = Person.objects.create(first_name="Renee", last_name="Dubios", date_of_birth=date(1975, 2, 3))
    Alias.objects.create(person=a, name="Ray")
    return a, b


def test_search_finds_by_alias_and_flags_duplicates(client, dana, pair):
    a, b = pair
    client.force_login(dana)
    r = client.get("/api/people/", {"name": "ray"})
    assert r.status_code == 200
    assert r.json() == [
        {
            "id": a.pk,
            "first_name": "Renée",
            "last_name": "Dubois",
            "date_of_birth": "1975-02-03",
            "phone": "312 555 0142",
            "aliases": ["Ray"],
            "possible_duplicate": True,
        }
    ]
    assert AuditEntry.objects.filter(action="people.person.searched", actor=dana).get().detail["result_ids"] == [a.pk]


def test_search_with_nothing_to_search_for_is_a_400(client, dana):
    client.force_login(dana)
    assert client.get("/api/people/").status_code == 400
    assert client.get("/api/people/", {"date_of_birth": "not a date"}).status_code == 400


def test_search_query_count_does_not_grow_with_results(client, dana, django_assert_max_num_queries):
    for i in range(10):
        p = Person.objects.create(first_name="Sam", last_name=f"Lee{i}", date_of_birth=date(1990, 1, 1 + i))
        Alias.objects.create(person=p, name=f"S{i}")
    client.force_login(dana)
    with django_assert_max_num_queries(12):
        r = client.get("/api/people/", {"name": "sam"})
    assert len(r.json()) == 10


def test_duplicates_and_merge_for_a_supervisor(client, sue, pair):
    a, b = pair
    client.force_login(sue)
    pairs = client.get("/api/people/duplicates/").json()
    assert [(p["first"]["id"], p["second"]["id"], p["why"]) for p in pairs] == [
        (a.pk, b.pk, "same date of birth, similar name")
    ]
    r = client.post(
        "/api/people/merges/", {"keep": a.pk, "merge": b.pk, "reason": "typo at intake"}, "application/json"
    )
    assert r.status_code == 201, r.content
    assert r.json()["keep"] == a.pk and r.json()["merged"] == b.pk
    assert client.get("/api/people/duplicates/").json() == []
    again = client.post("/api/people/merges/", {"keep": a.pk, "merge": b.pk, "reason": "x"}, "application/json")
    assert again.status_code == 409 and "already merged" in again.json()["detail"]
    self_merge = client.post("/api/people/merges/", {"keep": a.pk, "merge": a.pk, "reason": "x"}, "application/json")
    assert self_merge.status_code == 409
    missing = client.post("/api/people/merges/", {"keep": a.pk, "merge": 999999, "reason": "x"}, "application/json")
    assert missing.status_code == 404
    assert PersonMerge.objects.count() == 1


def test_only_a_supervisor_merges(client, dana, cam, pair):
    a, b = pair
    for user in (dana, cam):
        client.force_login(user)
        body = {"keep": a.pk, "merge": b.pk, "reason": "x"}
        assert client.post("/api/people/merges/", body, "application/json").status_code == 403
        assert client.get("/api/people/duplicates/").status_code == 403
    b.refresh_from_db()
    assert b.merged_into is None
