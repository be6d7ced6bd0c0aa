"""People (crisis/people.py): search by name, alias, date of birth and phone; possible duplicates; the merge."""

from __future__ import annotations

from datetime import date

import pytest

from crisis import people
from crisis.errors import Conflict, InvalidInput
from crisis.history.models import ResponsePlan
from crisis.models import Alias, AuditEntry, Person, PersonMerge
from dispatch.models import Call
from programs import plugins
from programs.fact.models import Enrollment
from programs.homeless_outreach.models import OutreachContact
from tests.dispatch.test_people import story_world  # noqa: F401 (fixture: a call and every program's records)

pytestmark = pytest.mark.django_db


@pytest.fixture
def jose(db):
    p = Person.objects.create(first_name="José", last_name="Ángel Núñez", date_of_birth=date(1980, 5, 1))
    Alias.objects.create(person=p, name="Smokey")
    return p


@pytest.fixture
def lena(db):
    return Person.objects.create(first_name="Lena", last_name="Park", phone="+1 (312) 555-0199")


@pytest.mark.parametrize(
    ("terms", "finds"),
    [
        ({"name": "jose"}, {"jose"}),  # accents and case do not matter
        ({"name": "NUNEZ"}, {"jose"}),
        ({"name": "ang nun"}, {"jose"}),  # each word begins a word of the name, in any order
        ({"name": "ose"}, set()),  # ... begins, not anywhere inside
        ({"name": "smokey"}, {"jose"}),  # an alias
        ({"alias": "smok"}, {"jose"}),
        ({"name": "jose", "date_of_birth": date(1980, 5, 1)}, {"jose"}),
        ({"name": "jose", "date_of_birth": date(1980, 5, 2)}, set()),
        ({"date_of_birth": date(1980, 5, 1)}, {"jose"}),
        ({"phone": "312-555-0199"}, {"lena"}),  # punctuation and the +1 do not matter
        ({"phone": "0199"}, {"lena"}),  # the last digits
        ({"phone": "0198"}, set()),
    ],
)
def test_search_matches_every_term_given(jose, lena, dana, terms, finds):
    names = {jose.pk: "jose", lena.pk: "lena"}
    found = people.person_search(by=dana, **terms)
    assert {names[p.pk] for p in found} == finds


def test_search_is_audited_with_its_terms_and_the_ids_shown(jose, lena, dana):
    people.person_search(by=dana, name="José")
    entry = AuditEntry.objects.get(action="people.person.searched")
    assert entry.actor == dana
    assert entry.detail["terms"]["name"] == "José"
    assert entry.detail["result_ids"] == [jose.pk]


@pytest.mark.parametrize("terms", [{}, {"name": "  ,, "}, {"phone": "55"}])
def test_search_refuses_nothing_to_search_for(dana, terms):
    with pytest.raises(InvalidInput):
        people.person_search(by=dana, **terms)
    assert not AuditEntry.objects.filter(action="people.person.searched").exists()


def test_duplicates_same_birthday_and_similar_name_or_same_phone(jose, lena, sue):
    twin = Person.objects.create(first_name="Jose", last_name="Angel Nunes", date_of_birth=date(1980, 5, 1))
    stranger = Person.objects.create(first_name="Mary", last_name="Olsen", date_of_birth=date(1980, 5, 1))
    same_phone = Person.objects.create(first_name="L.", last_name="P.", phone="312.555.0199")
    pairs = {(p.first.pk, p.second.pk): p.why for p in people.possible_duplicates(by=sue)}
    assert pairs == {
        (jose.pk, twin.pk): "same date of birth, similar name",
        (lena.pk, same_phone.pk): "same phone",
    }
    assert people.duplicate_ids([jose, lena, stranger]) == {jose.pk, lena.pk}
    assert AuditEntry.objects.filter(action="people.duplicates.viewed", actor=sue).exists()


def test_merge_moves_every_reference_and_records_what_moved(story_world, person, sue, jose):  # noqa: F811
    merge = person
    keep = jose
    calls = list(Call.objects.filter(person=merge).values_list("pk", flat=True))
    assert calls
    record = people.person_merge(keep=keep, merge=merge, by=sue, reason="Same man; the call had his street name")

    assert list(Call.objects.filter(person=keep).values_list("pk", flat=True)) == calls
    assert Enrollment.objects.get(pk=story_world["enrolment"].pk).person == keep
    assert OutreachContact.objects.get(pk=story_world["contact"].pk).person == keep
    assert record.moved["dispatch.call"] == calls
    assert record.moved["fact.enrollment"] == [story_world["enrolment"].pk]
    assert record.moved["homeless_outreach.outreachcontact"] == [story_world["contact"].pk]
    merge.refresh_from_db()
    assert merge.merged_into == keep and merge.merged_at
    # The duplicate's name stays findable, as an alias of the person kept; the merged row is never found.
    assert {p.pk for p in people.person_search(by=sue, name="Marcus Hill")} == {keep.pk}
    entry = AuditEntry.objects.get(action="people.person.merged")
    assert entry.actor == sue and entry.object_id == str(keep.pk) and entry.detail["merged"] == merge.pk
    assert entry.detail["moved"]["dispatch.call"] == calls
    # The person page's story now tells the merged person's calls and records.
    kinds = {item.kind for item in plugins.person_timeline(keep)}
    assert {"enrolment", "outreach contact"} <= kinds


def test_merge_fills_what_the_kept_person_lacks(jose, lena, sue):
    people.person_merge(keep=jose, merge=lena, by=sue, reason="same")
    jose.refresh_from_db()
    assert jose.phone == lena.phone and jose.phone_digits == "3125550199"
    assert jose.first_name == "José"  # what the kept person has stays


def test_merge_refuses_self_and_already_merged(jose, lena, sue):
    with pytest.raises(Conflict):
        people.person_merge(keep=jose, merge=jose, by=sue, reason="oops")
    third = Person.objects.create(first_name="Third")
    people.person_merge(keep=jose, merge=lena, by=sue, reason="same")
    with pytest.raises(Conflict, match="already merged"):
        people.person_merge(keep=third, merge=lena, by=sue, reason="again")
    with pytest.raises(Conflict, match="was merged into"):
        people.person_merge(keep=lena, merge=third, by=sue, reason="into a merged one")
    assert PersonMerge.objects.count() == 1


def test_merge_needs_a_reason(jose, lena, sue):
    with pytest.raises(InvalidInput):
        people.person_merge(keep=jose, merge=lena, by=sue, reason="  ")
    lena.refresh_from_db()
    assert lena.merged_into is None


def test_two_response_plans_refuse_the_merge_and_nothing_moves(jose, lena, sue):
    plan = ResponsePlan.objects.create(person=lena, triggers="loud voices")
    ResponsePlan.objects.create(person=jose, triggers="crowds")
    Alias.objects.create(person=lena, name="Leni")
    with pytest.raises(Conflict, match="response plan"):
        people.person_merge(keep=jose, merge=lena, by=sue, reason="same")
    # Nothing half-done: the alias did not move, nobody is marked merged.
    assert Alias.objects.get(name="Leni").person == lena
    lena.refresh_from_db()
    assert lena.merged_into is None and ResponsePlan.objects.get(pk=plan.pk).person_id == lena.pk


def test_a_mover_that_forgets_its_rows_makes_the_merge_refuse(new_call, jose, lena, sue, monkeypatch):
    new_call(person=lena)
    monkeypatch.setitem(people._movers, "dispatch", lambda *, keep, merge: {})
    with pytest.raises(Conflict, match="dispatch.call"):
        people.person_merge(keep=jose, merge=lena, by=sue, reason="same")
    lena.refresh_from_db()
    assert lena.merged_into is None
    assert not PersonMerge.objects.exists()
