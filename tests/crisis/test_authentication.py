"""crisis/authentication.py and crisis/sessions.py: forged credentials are refused, never a 500.

The NUL cases were 500s on PostgreSQL only (its text cannot hold NUL); on SQLite they pass either way.
"""

import pytest

from crisis.sessions import SessionStore
from tests.factories import api_token


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["\x00", "a\x00b" * 10, "x" * 10_000])
def test_a_forged_token_is_a_401(client, dana, key):
    api_token(dana)
    response = client.get("/api/calls/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401


@pytest.mark.django_db
def test_a_real_token_still_works(client, dana):
    token = api_token(dana)
    assert client.get("/api/calls/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("cookie", ["a\x00b" * 10, "ZZZZZZZZZZZZZZZZZZZZ", "é" * 32])
def test_a_forged_session_cookie_is_no_session(client, dana, cookie):
    client.cookies["sessionid"] = cookie
    response = client.get("/dispatch/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.django_db
def test_a_real_session_still_works(client, dana):
    client.force_login(dana)
    assert client.get("/dispatch/").status_code == 200
    assert SessionStore(client.cookies["sessionid"].value).get("_auth_user_id") == str(dana.pk)
