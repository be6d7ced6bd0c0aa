"""Issue 9: intake warns of a possible duplicate (dispatch.selectors.possible_duplicates, the history fragment)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.models import AuditEntry
from dispatch import selectors
from dispatch.models import Call, address_key

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "callback", "why"),
    [
        ("1200 w lake st", "", ["same address"]),
        ("9 Elsewhere Ave", "(312) 555 0101", ["same callback number"]),
        ("1200 W Lake St", "+1 312-555-0101", ["same address", "same callback number"]),
    ],
)
def test_a_recent_call_at_the_address_or_from_the_number_is_a_possible_duplicate(new_call, address, callback, why):
    call = new_call(address="1200 W Lake St", callback_number="312-555-0101")
    found = selectors.possible_duplicates(
        address_key=address_key(address), callback_number=callback, now=timezone.now()
    )
    assert found == [(call, why)]


def test_old_calls_and_other_numbers_are_not(new_call, settings):
    settings.DUPLICATE_WINDOW_MINUTES = 30
    old = new_call(address="1200 W Lake St", callback_number="312-555-0101")
    Call.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(minutes=31))
    new_call(address="77 Other St", callback_number="773-555-0101")  # same last four digits only
    found = selectors.possible_duplicates(
        address_key=address_key("1200 W Lake St"), callback_number="312-555-0101", now=timezone.now()
    )
    assert found == []


def test_the_intake_fragment_shows_the_prompt_and_audits_what_it_showed(client, dana, new_call):
    call = new_call(address="1200 W Lake St", callback_number="312-555-0101", nature="Man on the roof")
    client.force_login(dana)
    html = client.get("/dispatch/history/", {"address": "", "callback": "312 555 0101"}).content.decode()
    assert "Possible duplicate" in html and f"#{call.pk}" in html and "same callback number" in html
    entry = AuditEntry.objects.filter(action="dispatch.premise_history.viewed").latest("pk")
    assert entry.detail["duplicates"] == [call.pk]
    quiet = client.get("/dispatch/history/", {"address": "5 Nowhere Rd", "callback": ""}).content.decode()
    assert "Possible duplicate" not in quiet
