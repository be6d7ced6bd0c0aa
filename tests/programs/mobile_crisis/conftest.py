from __future__ import annotations

import pytest

from tests.factories import closed_field_response as field_response


@pytest.fixture
def follow_up_a(new_call, dana, rita, team_a, person):
    return field_response(new_call, dana, rita, team_a, person=person, callback_number="312-555-0199")


@pytest.fixture
def follow_up_b(new_call, dana, bo, team_b):
    return field_response(new_call, dana, bo, team_b, person_description="Woman in a red coat")


__all__ = ["field_response"]
