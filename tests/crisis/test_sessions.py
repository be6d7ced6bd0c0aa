"""Idle logoff (crisis/sessions.py, crisis.middleware.IdleTimeoutMiddleware), the clock under the test's control."""

import pytest
from asgiref.sync import async_to_sync
from django.contrib.sessions.models import Session

from crisis import sessions
from tests.factories import api_token

IDLE = 1800


@pytest.fixture
def clock(monkeypatch, settings):
    settings.SESSION_IDLE_SECONDS = IDLE
    now = [1_900_000_000.0]
    monkeypatch.setattr(sessions, "clock", lambda: now[0])

    class Clock:
        def advance(self, seconds):
            now[0] += seconds

    return Clock()


@pytest.fixture
def signed_in(client, dana, clock):
    client.force_login(dana)
    assert client.get("/dispatch/board/").status_code == 200
    return client


@pytest.mark.django_db
def test_activity_within_the_limit_keeps_the_session(signed_in, clock):
    for _ in range(4):
        clock.advance(IDLE - 60)
        assert signed_in.get("/dispatch/board/").status_code == 200
    assert signed_in.get("/api/board/").status_code == 200


@pytest.mark.django_db
def test_a_page_after_the_idle_limit_goes_to_sign_in_saying_why(signed_in, clock):
    clock.advance(IDLE + 1)
    response = signed_in.get("/dispatch/board/?x=1")
    assert response.status_code == 302
    assert response["Location"] == "/login/?idle=1&next=%2Fdispatch%2Fboard%2F%3Fx%3D1"
    assert not Session.objects.exists()
    page = signed_in.get(response["Location"])
    assert b"You were signed out after 30 minutes without activity." in page.content
    # The session is gone for good, not only for that request.
    assert signed_in.get("/dispatch/board/").status_code == 302


@pytest.mark.django_db
def test_the_api_after_the_idle_limit_is_unauthenticated(signed_in, clock):
    clock.advance(IDLE + 1)
    assert signed_in.get("/api/board/").status_code in (401, 403)
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_requests_the_page_makes_by_itself_are_not_activity(signed_in, clock):
    for _ in range(3):
        clock.advance(IDLE // 3)
        response = signed_in.get("/api/board/", HTTP_X_IDLE_PASSIVE="1")
        assert response.status_code == 200
    clock.advance(IDLE // 3 + 1)
    assert signed_in.get("/api/board/", HTTP_X_IDLE_PASSIVE="1").status_code in (401, 403)


@pytest.mark.django_db
def test_stay_signed_in_is_activity(signed_in, clock):
    clock.advance(IDLE - 10)
    assert signed_in.post("/session/keepalive/").status_code == 204
    clock.advance(IDLE - 10)
    assert signed_in.get("/dispatch/board/").status_code == 200


@pytest.mark.django_db
def test_the_absolute_limit_still_applies(signed_in, settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert signed_in.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE


@pytest.mark.django_db
def test_zero_turns_idle_logoff_off(signed_in, clock, settings):
    settings.SESSION_IDLE_SECONDS = 0
    clock.advance(10 * IDLE)
    assert signed_in.get("/dispatch/board/").status_code == 200


@pytest.mark.django_db
def test_a_token_request_creates_no_session(client, dana, clock):
    token = api_token(dana)
    assert client.get("/api/board/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert not Session.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_websocket_refuses_an_idle_session_and_its_check_ends_an_open_one(dana, clock):
    from channels.testing import WebsocketCommunicator
    from django.test import Client

    from crisis.asgi import application
    from dispatch import consumers

    def stamped_session() -> str:
        client = Client()
        client.force_login(dana)
        client.get("/dispatch/board/")
        return client.cookies["sessionid"].value

    async def connect(key):
        headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={key}".encode())]
        comm = WebsocketCommunicator(application, "/ws/board/", headers=headers)
        connected, code = await comm.connect(timeout=5)
        await comm.disconnect()
        return connected, code

    open_socket, new_socket = stamped_session(), stamped_session()
    # The check an open socket runs every SESSION_CHECK_SECONDS (it closes the socket when this is False).
    assert async_to_sync(consumers._session_alive)(open_socket, dana.pk)
    clock.advance(IDLE + 1)
    assert not async_to_sync(consumers._session_alive)(open_socket, dana.pk)
    assert async_to_sync(connect)(new_socket) == (False, consumers.CLOSE_UNAUTHENTICATED)
