"""Reads of a person's record. Every one is audited (who, when, from where)."""

from django.shortcuts import get_object_or_404

from . import audit
from .models import Person, User


def person_record_view(*, person_id: int, by: User, purpose: str = "") -> Person:
    person = get_object_or_404(Person, pk=person_id)
    audit.record(actor=by, action="people.person.viewed", obj=person, purpose=purpose)
    return person
