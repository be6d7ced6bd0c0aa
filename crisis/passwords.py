"""Password history, age and the change an administrator's password forces (CJIS 5.6.2.1.1, NIST SP 800-63B).

Every password set is one `PasswordRecord` (its hash), written by `password_record` from Django's own hook
(`HistoryValidator.password_changed`, which `User.save()` calls after `set_password`) and for a new account
(`on_user_created`: `create_user()` hashes without that hook). A new password may not be
any of the last PASSWORD_HISTORY_COUNT. A password set by someone else (an administrator creating the account or
resetting it) must be changed at the next sign-in, as must one older than PASSWORD_MAX_AGE_DAYS when that is on:
`password_change_due` decides at sign-in and the session remembers it, so no request pays a query for it
(`crisis.middleware.PasswordChangeMiddleware` reads the session). An administrator's reset ends the user's
sessions anyway (crisis.revocation), so the next sign-in sees it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from . import audit
from .models import PasswordRecord, User

# The session's note that its user must choose a new password first: the reason, from password_change_due.
SESSION_KEY = "_crisis_password_change"
SET_BY_ADMINISTRATOR = "set_by_administrator"
EXPIRED = "expired"


def _history(user: User) -> list[PasswordRecord]:
    count = max(settings.PASSWORD_HISTORY_COUNT, 1)
    return list(PasswordRecord.objects.filter(user=user).order_by("-set_at", "-id")[:count])


def password_record(*, user: User) -> PasswordRecord | None:
    """Keep the hash of the password just set, forget what is older than the history, audit who set it."""
    latest = PasswordRecord.objects.filter(user=user).order_by("-set_at", "-id").first()
    if not user.password or (latest is not None and latest.password == user.password):
        return None  # no password, or this one is kept already (a new account is seen by both hooks)
    actor = audit.current_actor()
    by_other = actor is not None and actor.pk != user.pk
    first = latest is None
    record = PasswordRecord.objects.create(user=user, password=user.password, must_change=by_other)
    keep = [r.pk for r in _history(user)]
    PasswordRecord.objects.filter(user=user).exclude(pk__in=keep).delete()
    # A password first set outside any request (a shell, the demo seed) has no one to name; every other is audited.
    if actor is not None or not first:
        audit.record(
            actor=actor,
            action="crisis.password.set" if first else "crisis.password.changed",
            obj=user,
            user=user.get_username(),
            set_by="administrator" if by_other else ("self" if actor else "system"),
            must_change=by_other,
        )
    return record


def password_change_due(user: User) -> str | None:
    """Why the user must choose a new password before anything else, or None."""
    latest = PasswordRecord.objects.filter(user=user).order_by("-set_at", "-id").first()
    if latest is None or latest.password != user.password:
        # Set before the history existed (or around set_password): nothing known against it.
        return None
    if latest.must_change:
        return SET_BY_ADMINISTRATOR
    days = settings.PASSWORD_MAX_AGE_DAYS
    if days > 0 and latest.set_at < timezone.now() - timedelta(days=days):
        return EXPIRED
    return None


def on_user_created(sender, instance, created, raw=False, **kwargs) -> None:
    """post_save: an account made with create_user() hashes its password without set_password()'s hook."""
    if created and not raw:
        password_record(user=instance)


def note_on_login(sender, request, user, **kwargs) -> None:
    """user_logged_in: remember in the session whether its user must change their password first."""
    reason = password_change_due(user)
    if reason:
        request.session[SESSION_KEY] = reason
        audit.record(actor=user, action="crisis.password.change_required", obj=user, reason=reason)
    else:
        request.session.pop(SESSION_KEY, None)


class HistoryValidator:
    """Refuses a password the user has had among the last PASSWORD_HISTORY_COUNT; records each new one."""

    def validate(self, password: str, user: User | None = None) -> None:
        if user is None or user.pk is None:
            return
        hashes = [r.password for r in _history(user)]
        if user.password and user.password not in hashes:
            hashes.append(user.password)
        if any(check_password(password, h) for h in hashes if h):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def password_changed(self, password: str, user: User | None = None) -> None:
        if user is not None and user.pk is not None:
            password_record(user=user)

    def get_help_text(self) -> str:
        n = settings.PASSWORD_HISTORY_COUNT
        return (
            f"Your password cannot be one of your last {n} passwords."
            if n > 1
            else ("Your password cannot be the one you have now.")
        )
