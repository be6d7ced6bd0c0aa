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


DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [DEEP, '{"a":' * 1000 + "1" + "}" * 1000, '{"source": "911", "nature": ' + DEEP + "}"],
    ids=["arrays", "objects", "inside-a-field"],
)
@pytest.mark.parametrize("url", ["/api/calls/", "/api/board/"])
def test_a_deeply_nested_body_is_a_400_not_a_recursion_error(client, dana, body, url):
    client.force_login(dana)
    response = client.post(url, body, content_type="application/json")
    if url == "/api/board/":  # read-only: DRF refuses the method before it reads the body
        assert response.status_code == 405
        return
    assert response.status_code == 400
    assert "nested deeper than 20 levels" in response.json()["detail"]
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_a_deep_body_on_an_action_endpoint_is_a_400(client, dana, new_call):
    call = new_call()
    client.force_login(dana)
    response = client.post(f"/api/calls/{call.pk}/triage/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


@pytest.mark.django_db
def test_brackets_inside_strings_are_text_not_depth(client, dana):
    client.force_login(dana)
    body = {"source": "911", "address": "1 Main St", "call_type": "mental_health", "nature": "[{" * 50}
    body["person_description"] = 'quote \\" and ]]]'
    response = client.post("/api/calls/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert Call.objects.get().nature == "[{" * 50


@pytest.mark.django_db
def test_a_body_over_the_size_limit_is_a_400(client, dana, settings):
    settings.API_JSON_MAX_BYTES = 1000
    client.force_login(dana)
    body = {"source": "911", "address": "1 Main St", "call_type": "mental_health", "nature": "x" * 2000}
    response = client.post("/api/calls/", body, content_type="application/json")
    assert response.status_code == 400
    assert "larger than 1000 bytes" in response.json()["detail"]
    assert Call.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "depth"),
    [(b"", 0), (b"1", 0), (b"[]", 1), (b'{"a": [1, {"b": []}]}', 4), (b'["]]]", "\\"[["]', 1)],
)
def test_json_depth(raw, depth):
    from crisis.parsers import json_depth

    assert json_depth(raw) == depth
