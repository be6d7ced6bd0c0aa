"""The call page's serializers (dispatch/serializers.py): fields built once per class, not per page."""

import pytest
from rest_framework import fields

from dispatch import selectors, serializers, services
from tests.conftest import CALL_DEFAULTS


@pytest.mark.django_db
def test_a_call_page_builds_no_field_after_the_first(dana, team_a, monkeypatch):
    """A page is ~120 fields in 7 serializers, serialized inside the intake's transaction: DRF re-made each one
    per page (a ModelSerializer from the model's metadata, then a deep copy), ~4 ms of a ~17 ms intake. Each
    class now builds its fields once and every page takes shallow copies: no field is constructed again."""
    call = services.call_intake(by=dana, screen={"caller_not_asked": True}, **CALL_DEFAULTS)
    page = selectors.call_for_page(call.pk)
    first = serializers.CallDetailSerializer(page).data
    assert first["assignments"] and first["timeline"] and first["triage"]

    built = []
    original = fields.Field.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(fields.Field, "__init__", counting)
    again = serializers.CallDetailSerializer(page).data
    assert again == first
    # The page's own serializer and the screen's (get_triage makes one per page): serializers, not fields.
    assert sorted(built) == ["CallDetailSerializer", "TriageSerializer"], built


@pytest.mark.django_db
def test_two_pages_at_once_keep_their_own_fields(dana, team_a, team_b):
    """The shallow copies share nothing a page writes: two calls serialized interleaved come out as each alone."""
    one = services.call_intake(by=dana, screen={"caller_not_asked": True}, **CALL_DEFAULTS)
    two = services.call_intake(by=dana, screen={"phone_engaged": True}, **CALL_DEFAULTS | {"address": "2 Oak St"})
    pages = [selectors.call_for_page(c.pk) for c in (one, two)]
    alone = [serializers.CallDetailSerializer(p).data for p in pages]
    a, b = (serializers.CallDetailSerializer(p) for p in pages)
    assert (b.data, a.data) == (alone[1], alone[0])
    assert alone[0]["address"] != alone[1]["address"] and alone[0]["tier"] != alone[1]["tier"]
