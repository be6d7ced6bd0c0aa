"""crisis/parsers.py: JSON that is not valid Unicode is a 400 before any view sees it."""

import pytest

from dispatch.models import Call


@pytest.mark.django_db
@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\ud83d"])
def test_a_lone_surrogate_is_a_400_and_saves_nothing(client, dana, escape):
    client.force_login(dana)
    body = '{"source": "911", "address": "1 Main St", "call_type": "mental_health", "nature": "x' + escape + '"}'
    response = client.post("/api/calls/", body, content_type="application/json")
    assert response.status_code == 400
    assert "Unicode" in response.json()["detail"]
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_a_surrogate_pair_is_an_ordinary_character(client, dana):
    client.force_login(dana)
    body = '{"source": "911", "address": "1 Main St", "call_type": "mental_health", "nature": "\\ud83d\\udca5",'
    body += ' "person_description": "man"}'
    response = client.post("/api/calls/", body, content_type="application/json")
    assert response.status_code == 201
    assert Call.objects.get().nature == "💥"
