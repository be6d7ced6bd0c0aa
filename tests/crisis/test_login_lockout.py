"""Login lockout (django-axes, crisis/login_audit.py, crisis.views.login_locked_out): 5 failures lock a username."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from crisis.models import AuditEntry
from tests.conftest import PASSWORD


def _sign_in(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_five_failures_lock_out_even_the_right_password(client, dana):
    for _ in range(4):
        response = _sign_in(client, "dana", "wrong")
        assert response.status_code == 200
        assert b"password didn't match" in response.content
    response = _sign_in(client, "dana", "wrong")
    assert response.status_code == 429
    assert b"Too many failed sign-ins: this account is locked for 10 minutes" in response.content

    response = _sign_in(client, "dana", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_failures_and_the_lockout_are_audited(client, dana):
    for _ in range(5):
        _sign_in(client, "dana", "wrong", REMOTE_ADDR="10.0.0.7")
    failed = AuditEntry.objects.filter(action="crisis.login.failed")
    assert failed.count() == 5
    assert {(e.detail["username"], e.ip_address, e.actor) for e in failed} == {("dana", "10.0.0.7", None)}
    locked = AuditEntry.objects.get(action="crisis.login.locked_out")
    assert (locked.detail["username"], locked.detail["failure_limit"], locked.detail["cooloff_seconds"]) == (
        "dana",
        5,
        600,
    )


@pytest.mark.django_db
def test_a_success_before_the_limit_resets_the_count(client, dana):
    for _ in range(4):
        _sign_in(client, "dana", "wrong")
    assert _sign_in(client, "dana", PASSWORD).status_code == 302
    other = Client()
    for _ in range(4):
        assert _sign_in(other, "dana", "wrong").status_code == 200
    assert _sign_in(Client(), "dana", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lockout_is_per_username_not_per_address(client, dana, cam):
    for _ in range(5):
        _sign_in(client, "dana", "wrong")
    assert _sign_in(Client(), "cam", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cooloff(client, dana, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=60)
    for _ in range(5):
        _sign_in(client, "dana", "wrong")
    assert _sign_in(client, "dana", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(seconds=61))
    assert _sign_in(client, "dana", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_admin_sign_in_is_locked_too(client, ada):
    for _ in range(5):
        client.post("/admin/login/", {"username": "ada", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content


@pytest.mark.django_db
def test_a_nul_in_an_attempted_username_is_refused_not_a_500(client):
    response = _sign_in(client, "da\x00na", "wrong")
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_huge_username_is_counted_cut_to_a_username_length_not_a_500(client):
    for _ in range(5):
        assert _sign_in(client, "x" * 100_000, "wrong").status_code in (200, 429)
    assert AccessAttempt.objects.get().username == "x" * 150
    assert _sign_in(client, "x" * 100_000, "wrong").status_code == 429


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_paused_for_every_username(client, dana, settings):
    """One password over many usernames never trips the per-username lockout; the address limit does."""
    settings.LOGIN_IP_FAILURE_LIMIT = 6
    for n in range(6):
        response = _sign_in(client, f"user{n}", "Spring2026!", REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 200
    response = _sign_in(client, "dana", PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    assert b"Too many failed sign-ins from this network" in response.content
    assert "_auth_user_id" not in client.session
    throttled = AuditEntry.objects.get(action="crisis.login.address_throttled")
    assert (throttled.detail["username"], throttled.detail["failures"], throttled.ip_address) == (
        "dana",
        6,
        "203.0.113.9",
    )
    # Elsewhere, dana signs in; and the address is free again once the window has passed.
    assert _sign_in(Client(), "dana", PASSWORD, REMOTE_ADDR="198.51.100.4").status_code == 302
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.LOGIN_IP_WINDOW - timedelta(seconds=1))
    assert _sign_in(client, "dana", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 302


@pytest.mark.django_db
def test_a_few_typos_from_a_shared_address_lock_nobody_else(client, dana, cam, settings):
    for name in ("dana", "cam"):
        for _ in range(2):
            _sign_in(Client(), name, "wrong", REMOTE_ADDR="192.0.2.1")
    assert _sign_in(client, "cam", PASSWORD, REMOTE_ADDR="192.0.2.1").status_code == 302
