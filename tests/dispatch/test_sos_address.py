"""Issue 9: an SOS shows where, in words (dispatch.selectors.address_near, team_state.team_raise_sos).

Decision: on a call, the call's address (the team is there or on its way to it); otherwise the nearest address
of a recent call within NEAR_ADDRESS_METRES, as "near <address> (~N m)"; otherwise blank, and the board says
"no known address nearby" next to the coordinates.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch import rows, selectors, services
from dispatch.models import Call
from tests.conftest import CENTER

pytestmark = pytest.mark.django_db

# About 111 m per 0.001 degree of latitude.
NORTH_220M = (CENTER[0] + 0.002, CENTER[1])


def test_on_a_call_the_alert_carries_the_calls_address(
    dana, rita, team_a, new_call, django_capture_on_commit_callbacks
):
    call = new_call(address="1200 W Lake St")
    with django_capture_on_commit_callbacks(execute=True):
        services.call_triage(call=call, screen={"intoxication": True}, by=dana)  # offered to Team A
    alert = services.team_raise_sos(team=team_a, by=rita, latitude=NORTH_220M[0], longitude=NORTH_220M[1])
    assert alert.call_id == call.pk
    assert alert.address == "1200 W Lake St"
    assert rows.alert_summary(alert)["address"] == "1200 W Lake St"


def test_off_a_call_the_nearest_known_address_within_a_kilometre(rita, team_a, new_call):
    new_call(address="1200 W Lake St")  # at CENTER: ~220 m away
    new_call(address="1900 W Lake St", latitude=CENTER[0] + 0.006, longitude=CENTER[1])  # ~440 m away
    alert = services.team_raise_sos(team=team_a, by=rita, latitude=NORTH_220M[0], longitude=NORTH_220M[1])
    assert alert.call_id is None
    assert alert.address == "near 1200 W Lake St (~220 m)"


def test_no_address_nearby_leaves_it_blank_never_a_far_one(rita, team_a, new_call):
    new_call(address="1200 W Lake St")
    far = (CENTER[0] + 0.02, CENTER[1])  # ~2.2 km
    alert = services.team_raise_sos(team=team_a, by=rita, latitude=far[0], longitude=far[1])
    assert alert.address == ""


@pytest.mark.parametrize(
    ("change", "near"),
    [
        ({"address": ""}, ""),  # an anonymous call without an address is no landmark
        ({"received_at": timezone.now() - timedelta(days=selectors.NEAR_ADDRESS_DAYS + 1)}, ""),
        ({}, "near 1200 W Lake St (~220 m)"),
    ],
)
def test_address_near_uses_recent_calls_with_an_address(new_call, change, near):
    call = new_call(address="1200 W Lake St")
    Call.objects.filter(pk=call.pk).update(**change)
    assert selectors.address_near(*NORTH_220M) == near


def test_address_near_without_a_position():
    assert selectors.address_near(None, None) == ""


# --- the embedded address table (crisis.geo) as a landmark too ------------------------------------------------

HEADER = "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n"


def _table(*rows):
    from io import StringIO

    from crisis.geo.services import addresses_load

    addresses_load(
        lines=StringIO(
            HEADER + "".join(f"{lon},{lat},{num},{street},,Chicago,,IL,,,\n" for lat, lon, num, street in rows)
        )
    )


def test_the_address_table_names_a_place_no_call_came_from(rita, team_a):
    _table((NORTH_220M[0] + 0.0004, NORTH_220M[1], "1210", "W Lake St"))  # ~44 m north of the team
    alert = services.team_raise_sos(team=team_a, by=rita, latitude=NORTH_220M[0], longitude=NORTH_220M[1])
    assert alert.address == "near 1210 W Lake St (~40 m)"


@pytest.mark.parametrize(
    ("table_offset", "near"),
    [
        (0.0004, "near 1210 W Lake St (~40 m)"),  # the table's address is nearer than the call's (220 m)
        (0.004, "near 1200 W Lake St (~220 m)"),  # the call's is nearer than the table's (~440 m)
    ],
)
def test_the_nearer_of_the_table_and_recent_calls(new_call, table_offset, near):
    new_call(address="1200 W Lake St")  # at CENTER
    _table((NORTH_220M[0] + table_offset, NORTH_220M[1], "1210", "W Lake St"))
    assert selectors.address_near(*NORTH_220M) == near
