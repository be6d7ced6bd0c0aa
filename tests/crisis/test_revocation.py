"""Revocation: every change that removes access closes the user's open sockets within seconds and ends their
sessions (and, for a new password or deactivation, their API tokens), audited with the reason."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django.test import Client

from crisis.models import ApiToken, AuditEntry
from crisis.tokens import token_digest
from dispatch import consumers
from tests.factories import api_token

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def redis_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "crisis.channel_layer.PubSubChannelLayer",
            "CONFIG": {"hosts": [os.environ.get("REDIS_URL", "")], "prefix": f"test-{uuid.uuid4().hex[:12]}"},
        }
    }
    settings.REDIS_URL = os.environ.get("REDIS_URL", "")


def _deactivate(user):
    user.is_active = False
    user.save()


def _new_password(user):
    user.set_password("an entirely new passphrase 42")
    user.save()


def _remove_role(user):
    user.groups.remove(user.groups.get())


def _remove_from_role_side(user):
    user.groups.get().user_set.remove(user)


def _clear_roles(user):
    user.groups.clear()


def _delete_token(user):
    ApiToken.objects.get(user=user).delete()


def _delete_membership(user):
    user.membership.delete()


def _deactivate_membership(user):
    member = user.membership
    member.active = False
    member.save()


def _move_to_other_team(user):
    from responders.models import Team

    member = user.membership
    member.team = Team.objects.exclude(pk=member.team_id).first()
    member.save()


# (persona, change, reason, an endpoint the persona could read before, token deleted too)
CASES = [
    ("dana", _deactivate, "deactivated", "/api/board/", True),
    ("dana", _new_password, "password_changed", "/api/board/", True),
    ("dana", _remove_role, "role_removed", "/api/board/", False),
    ("dana", _remove_from_role_side, "role_removed", "/api/board/", False),
    ("dana", _clear_roles, "role_removed", "/api/board/", False),
    ("dana", _delete_token, "token_revoked", "/api/board/", True),
    ("rita", _delete_membership, "team_membership_removed", "/api/my-team/", False),
    ("rita", _deactivate_membership, "team_membership_deactivated", "/api/my-team/", False),
    ("rita", _move_to_other_team, "team_changed", "/api/my-team/", False),
]


async def _closed_within(comm, seconds: float) -> dict:
    async def _until_close():
        while True:
            output = await comm.receive_output(timeout=seconds)
            if output["type"] == "websocket.close":
                return output

    return await asyncio.wait_for(_until_close(), timeout=seconds)


@pytest.mark.parametrize(
    "persona, change, reason, endpoint, token_gone", CASES, ids=[c[2] + ":" + c[1].__name__ for c in CASES]
)
async def test_a_change_that_removes_access_closes_the_socket_and_ends_sessions(
    persona, change, reason, endpoint, token_gone, request, team_a, team_b
):
    from crisis.asgi import application

    user = await sync_to_async(request.getfixturevalue)(persona)
    web, other_browser = Client(), Client()
    await sync_to_async(web.force_login)(user)
    await sync_to_async(other_browser.force_login)(user)
    token = await sync_to_async(api_token)(user)
    assert (await sync_to_async(web.get)(endpoint)).status_code == 200

    headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={web.cookies['sessionid'].value}".encode())]
    comm = WebsocketCommunicator(application, "/ws/board/", headers=headers)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    assert (await comm.receive_json_from(timeout=5))["kind"] == "hello"

    await sync_to_async(change)(user)

    closed = await _closed_within(comm, 5)
    assert closed["code"] == consumers.CLOSE_UNAUTHENTICATED

    for browser in (web, other_browser):
        assert (await sync_to_async(browser.get)(endpoint)).status_code in (401, 403)
    assert await sync_to_async(ApiToken.objects.filter(digest=token_digest(token)).exists)() is not token_gone
    if token_gone:
        token_answer = await sync_to_async(Client().get)(endpoint, HTTP_AUTHORIZATION=f"Token {token}")
        assert token_answer.status_code == 401

    entries = await sync_to_async(list)(AuditEntry.objects.filter(action="crisis.access.revoked"))
    assert [(e.object_id, e.detail["reason"]) for e in entries] == [(str(user.pk), reason)]
    assert entries[0].detail["sessions_ended"] == 2


@pytest.mark.django_db
def test_a_transparent_rehash_at_sign_in_or_an_unrelated_save_revokes_nothing(dana, settings):
    dana.first_name = "Dana"
    dana.save()
    dana.check_password("not it")
    Group.objects.get(name="dispatcher").user_set.add(dana)
    assert not AuditEntry.objects.filter(action="crisis.access.revoked").exists()


@pytest.mark.django_db
def test_a_revocation_through_the_admin_names_who_made_it(client, dana):
    from crisis.models import User

    admin_user = User.objects.create_superuser(username="root", password="a long admin passphrase 9")
    client.force_login(admin_user)
    form = {
        "username": "dana",
        "first_name": "Dana",
        "last_name": "",
        "email": "",
        "groups": [str(g.pk) for g in dana.groups.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }  # is_active left out: unticked
    response = client.post(f"/admin/crisis/user/{dana.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    entry = AuditEntry.objects.get(action="crisis.access.revoked")
    assert (entry.actor_id, entry.object_id, entry.detail["reason"]) == (admin_user.pk, str(dana.pk), "deactivated")


@pytest.mark.parametrize(
    "change, reason",
    [
        (dict(is_active=False), "deactivated"),
        (dict(password="pbkdf2_sha256$1$salt$bm90LXRoZS1wYXNzd29yZA=="), "password_changed"),
    ],
)
def test_the_sweep_revokes_what_a_queryset_update_left_standing(dana, cam, change, reason):
    from crisis.models import User
    from crisis.revocation import access_sweep

    dana_client, cam_client = Client(), Client()
    dana_client.force_login(dana)
    cam_client.force_login(cam)
    api_token(dana)
    User.objects.filter(pk=dana.pk).update(**change)  # no signal: nothing revoked yet
    assert ApiToken.objects.filter(user=dana).exists()
    assert access_sweep() == 1
    assert not ApiToken.objects.filter(user=dana).exists()
    assert cam_client.get("/dispatch/board/").status_code == 200  # others untouched
    entry = AuditEntry.objects.get(action="crisis.access.revoked")
    assert (entry.object_id, entry.detail["reason"], entry.detail["via"]) == (str(dana.pk), reason, "sweep")
    assert entry.detail["sessions_ended"] == 1
    assert access_sweep() == 0  # nothing left to do: safe to run again


@pytest.mark.parametrize("change", [dict(active=False), "moved"], ids=["deactivated", "moved"])
def test_the_sweep_ends_the_sessions_of_a_member_whose_team_an_update_ended(rita, bo, team_b, change):
    from crisis.revocation import access_sweep
    from responders.models import TeamMember

    rita_client, bo_client = Client(), Client()
    rita_client.force_login(rita)
    bo_client.force_login(bo)
    assert rita_client.get("/responder/").status_code == 200
    update = dict(team=team_b) if change == "moved" else change
    TeamMember.objects.filter(user=rita).update(**update)  # no signal: nothing revoked yet
    assert access_sweep() == 1
    assert rita_client.get("/responder/").status_code == 302  # signed out
    assert bo_client.get("/responder/").status_code == 200  # others untouched
    entry = AuditEntry.objects.get(action="crisis.access.revoked")
    assert (entry.object_id, entry.detail["reason"], entry.detail["via"]) == (
        str(rita.pk),
        "team_membership_ended",
        "sweep",
    )
    assert access_sweep() == 0
    rita_client.force_login(rita)  # signed in again, for the team as it is now: the sweep leaves it
    assert access_sweep() == 0


async def test_the_sweep_closes_an_open_socket_of_a_user_deactivated_by_update(dana):
    from crisis.asgi import application
    from crisis.models import User
    from crisis.revocation import access_sweep

    web = Client()
    await sync_to_async(web.force_login)(dana)
    headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={web.cookies['sessionid'].value}".encode())]
    comm = WebsocketCommunicator(application, "/ws/board/", headers=headers)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    assert (await comm.receive_json_from(timeout=5))["kind"] == "hello"
    await sync_to_async(User.objects.filter(pk=dana.pk).update)(is_active=False)
    await sync_to_async(access_sweep)()
    closed = await _closed_within(comm, 5)
    assert closed["code"] == consumers.CLOSE_UNAUTHENTICATED
