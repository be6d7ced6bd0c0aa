"""Password history, age and the forced change (crisis/passwords.py, crisis.middleware.PasswordChangeMiddleware)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from crisis import passwords
from crisis.models import AuditEntry, PasswordRecord, User
from tests.conftest import PASSWORD

NEW = "a brand new passphrase 1"


def _sign_in(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def _change(client, old, new):
    return client.post("/password/", {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.mark.django_db
def test_every_password_set_is_kept_as_a_hash_and_the_history_is_trimmed(dana, settings):
    settings.PASSWORD_HISTORY_COUNT = 3
    for i in range(5):
        dana.set_password(f"passphrase number {i}")
        dana.save()
    records = list(PasswordRecord.objects.filter(user=dana).order_by("-set_at", "-id"))
    assert len(records) == 3
    assert records[0].password == dana.password and "passphrase" not in records[0].password
    assert not any(r.must_change for r in records)  # set outside a request: no one else set them


@pytest.mark.django_db
def test_a_recent_password_cannot_be_chosen_again(client, dana):
    _sign_in(client, "dana", PASSWORD)
    assert _change(client, PASSWORD, NEW).status_code == 302
    _sign_in(client, "dana", NEW)
    response = _change(client, NEW, PASSWORD)
    assert response.status_code == 400
    assert b"cannot be one of your last 10 passwords" in response.content
    response = _change(client, NEW, NEW)  # the one in force is refused too
    assert response.status_code == 400
    dana.refresh_from_db()
    assert dana.check_password(NEW)


@pytest.mark.django_db
def test_a_password_older_than_the_history_may_come_back(dana, settings):
    settings.PASSWORD_HISTORY_COUNT = 2
    validator = passwords.HistoryValidator()
    for p in ("first passphrase 1", "second passphrase 2", "third passphrase 3"):
        validator.validate(p, dana)
        dana.set_password(p)
        dana.save()
    with pytest.raises(ValidationError, match="last 2 passwords"):
        validator.validate("second passphrase 2", dana)
    validator.validate("first passphrase 1", dana)  # three passwords ago, past a history of 2


@pytest.mark.django_db
def test_an_account_an_administrator_created_must_choose_its_own_password_first(client, ada):
    # Accounts are managed by staff given the user permissions directly, as for the two-step reset.
    ada.is_staff = True
    ada.save()
    ada.user_permissions.add(*Permission.objects.filter(codename__in=["add_user", "change_user", "view_user"]))
    client.post("/login/", {"username": "ada", "password": PASSWORD})
    response = client.post(
        "/admin/crisis/user/add/",
        {
            "username": "newbie",
            "password1": "given by ada 12345",
            "password2": "given by ada 12345",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    newbie = User.objects.get(username="newbie")
    assert PasswordRecord.objects.get(user=newbie).must_change
    set_entry = AuditEntry.objects.get(action="crisis.password.set", object_id=str(newbie.pk))
    assert (set_entry.actor_id, set_entry.detail["set_by"], set_entry.detail["must_change"]) == (
        ada.pk,
        "administrator",
        True,
    )

    own = Client()
    assert _sign_in(own, "newbie", "given by ada 12345").status_code == 302
    assert own.get("/dispatch/").url == "/password/"
    assert own.get("/api/board/").status_code == 403
    page = own.get("/password/")
    assert b"An administrator set your password" in page.content
    assert AuditEntry.objects.filter(action="crisis.password.change_required", actor=newbie).exists()

    response = _change(own, "given by ada 12345", NEW)
    assert response.url == "/login/?password_changed=1"
    assert b"Your password is changed" in own.get(response.url).content
    assert "_auth_user_id" not in own.session  # signed out: every session of the user ended with the old password
    changed = AuditEntry.objects.get(action="crisis.password.changed", object_id=str(newbie.pk))
    assert (changed.actor_id, changed.detail["set_by"], changed.detail["must_change"]) == (newbie.pk, "self", False)

    assert _sign_in(own, "newbie", NEW).status_code == 302
    assert own.get("/password/").status_code == 200  # still open to anyone, but nothing forces it
    assert passwords.SESSION_KEY not in own.session


@pytest.mark.django_db
@pytest.mark.parametrize("max_age, forced", [(0, False), (90, True)])
def test_an_expired_password_must_be_changed_only_when_an_age_is_set(client, dana, settings, max_age, forced):
    settings.PASSWORD_MAX_AGE_DAYS = max_age
    PasswordRecord.objects.filter(user=dana).update(set_at=timezone.now() - timedelta(days=91))
    _sign_in(client, "dana", PASSWORD)
    response = client.get("/dispatch/")
    assert (response.status_code == 302 and response.url == "/password/") is forced
    if forced:
        assert b"Your password is too old" in client.get("/password/").content


@pytest.mark.django_db
def test_a_password_younger_than_the_age_is_not_forced(client, dana, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    PasswordRecord.objects.filter(user=dana).update(set_at=timezone.now() - timedelta(days=89))
    assert passwords.password_change_due(dana) is None


@pytest.mark.django_db
def test_a_wrong_current_password_changes_nothing(client, dana):
    _sign_in(client, "dana", PASSWORD)
    response = _change(client, "not my password", NEW)
    assert response.status_code == 400
    dana.refresh_from_db()
    assert dana.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="crisis.password.changed").exists()
