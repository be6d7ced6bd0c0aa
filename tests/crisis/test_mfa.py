"""Two-step sign-in (crisis/mfa.py, crisis.middleware.MfaRequiredMiddleware, crisis.views.mfa)."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisis import mfa
from crisis.middleware import MfaRequiredMiddleware
from crisis.models import AuditEntry
from tests.conftest import PASSWORD
from tests.crisis.test_access_matrix import PARAM, routes
from tests.factories import api_token
from tests.support import mfa as mfa_support
from tests.support.mfa import current_code, enrol, verified_login

mfa_on = mfa_support.mfa_on  # the fixture

pytestmark = pytest.mark.django_db


def _sign_in(client, user, next_url="/dispatch/board/"):
    response = client.post("/login/", {"username": user.username, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    return response


def _actions(user) -> list[str]:
    return list(
        AuditEntry.objects.filter(actor=user, action__startswith="crisis.mfa.").values_list("action", flat=True)
    )


@pytest.mark.parametrize("persona", ["dana", "cam", "sue", "oli", "ada", "rita"])
def test_every_route_waits_for_the_second_step(client, mfa_on, persona, request):
    """Every URL of the project (the access matrix's list): pages go to /mfa/, the API says 403."""
    client.force_login(request.getfixturevalue(persona))
    for route in routes():
        url = "/" + PARAM.sub(lambda m: "intervals" if m.group(1) in ("name", "table") else "1", route)
        if url.startswith(MfaRequiredMiddleware.OPEN):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if "/api/" in url:
                assert response.status_code == 403, (method, url, response.status_code)
                assert "Two-step" in response.json()["detail"]
            else:
                assert response.status_code == 302, (method, url, response.status_code)
                assert response["Location"].startswith("/mfa/?next="), (method, url)


def test_a_user_without_a_role_is_not_asked(client, mfa_on, nora):
    client.force_login(nora)
    assert client.get("/").status_code == 403  # the no-role page, not a second step


def test_first_sign_in_enrols_with_a_qr_code_and_the_key_then_shows_recovery_codes(client, mfa_on, dana):
    response = _sign_in(client, dana)
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0].startswith("/mfa/?next=")
    page = response.content.decode()
    assert "<svg" in page and "<path" in page and "<?xml" not in page
    assert 'aria-label="Main"' not in page  # no menu of pages that would only send back here
    device = TOTPDevice.objects.get(user=dana, confirmed=False)
    assert mfa.secret_text(device).replace(" ", "") in page.replace(" ", "")

    wrong = client.post("/mfa/", {"token": "000000", "next": "/dispatch/board/"})
    assert wrong.status_code == 400 and "did not match" in wrong.content.decode()
    assert client.get("/dispatch/board/").status_code == 302
    # Wrong codes make the next try wait longer each time (django-otp's throttle): the page says how long.
    assert "wait" not in wrong.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=3)  # three slips in a row: 4 s
    again = client.post("/mfa/", {"token": "000000"}).content.decode()
    assert re.search(r"Too many tries: wait [34] seconds", again), again
    device.refresh_from_db()
    device.throttle_reset()

    done = client.post("/mfa/", {"token": current_code(device), "next": "/dispatch/board/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in done.content.decode() for code in codes)
    assert client.get("/dispatch/board/").status_code == 200
    assert TOTPDevice.objects.get(user=dana).confirmed
    assert _actions(dana) == ["crisis.mfa.enrolled", "crisis.mfa.failed", "crisis.mfa.failed"]  # newest first


def test_later_sign_ins_ask_for_a_code(client, mfa_on, oli):
    device = enrol(oli)
    _sign_in(client, oli, "/dispatch/officer/")
    response = client.get("/dispatch/officer/")
    assert response.status_code == 302 and response.url == "/mfa/?next=%2Fdispatch%2Fofficer%2F"
    assert "Enter your code" in client.get(response.url).content.decode()
    assert client.post("/mfa/", {"token": "123456"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post("/mfa/", {"token": current_code(device), "next": "/dispatch/officer/"})
    assert response.status_code == 302 and response.url == "/dispatch/officer/"
    assert client.get("/dispatch/officer/").status_code == 200


def test_a_recovery_code_works_once_and_is_audited(client, mfa_on, cam):
    device = enrol(cam)
    codes = mfa._recovery_codes_replace(cam)
    _sign_in(client, cam)
    assert client.post("/mfa/", {"token": codes[0].upper(), "next": "/dispatch/"}).url == "/dispatch/"
    assert StaticToken.objects.filter(device__user=cam).count() == 9
    client.post("/logout/")
    _sign_in(client, cam)
    assert client.post("/mfa/", {"token": codes[0]}).status_code == 400
    assert client.post("/mfa/", {"token": current_code(device)}).status_code == 302
    assert "crisis.mfa.recovery_code_used" in _actions(cam)


def test_next_cannot_leave_the_site(client, mfa_on, dana):
    device = enrol(dana)
    _sign_in(client, dana)
    response = client.post("/mfa/", {"token": current_code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == "/"


def test_an_administrator_resets_a_users_devices_and_sessions_from_the_admin(client, mfa_on, ada, rita):
    ada.is_staff = True
    ada.save()
    ada.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    enrol(rita)
    mfa._recovery_codes_replace(rita)
    rita_client = verified_login(type(client)(), rita)
    assert rita_client.get("/responder/").status_code == 200
    verified_login(client, ada)
    response = client.post(
        "/admin/crisis/user/", {"action": "reset_two_step_sign_in", "_selected_action": [rita.pk]}, follow=True
    )
    assert response.status_code == 200 and "reset for 1 user" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=rita).exists()
    assert not StaticToken.objects.filter(device__user=rita).exists()
    assert rita_client.get("/responder/").status_code == 302  # signed out
    entry = AuditEntry.objects.get(action="crisis.mfa.reset")
    assert (entry.actor, entry.object_id, entry.detail["devices_removed"]) == (ada, str(rita.pk), 2)
    assert not Session.objects.filter(session_key=rita_client.session.session_key).exists()


def test_api_tokens_are_not_session_sign_ins_and_pass(client, mfa_on, dana):
    token = api_token(dana)
    assert client.get("/api/calls/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_verified_sessions_see_everything_as_before(client, mfa_on, dana):
    verified_login(client, dana)
    assert client.get("/dispatch/board/").status_code == 200
    assert client.get("/api/board/").status_code == 200


def test_off_by_default_in_the_suite_and_the_embedded_demo(client, settings, dana):
    assert settings.MFA_REQUIRED is False
    client.force_login(dana)
    assert client.get("/dispatch/board/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_websocket_refuses_a_session_without_the_second_step(mfa_on, dana):
    from channels.testing import WebsocketCommunicator
    from django.test import Client

    from crisis.asgi import application
    from dispatch import consumers

    async def connect(key):
        headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={key}".encode())]
        comm = WebsocketCommunicator(application, "/ws/board/", headers=headers)
        connected, code = await comm.connect(timeout=5)
        await comm.disconnect()
        return connected, code

    unverified = Client()
    unverified.force_login(dana)
    assert async_to_sync(connect)(unverified.session.session_key) == (False, consumers.CLOSE_FORBIDDEN)
    verified = verified_login(Client(), dana)
    assert async_to_sync(connect)(verified.session.session_key)[0] is True
