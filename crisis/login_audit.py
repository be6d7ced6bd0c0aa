"""Failed sign-ins and lockouts go into the audit trail (CJIS 5.4.1.1: unsuccessful logon attempts).

Django's authentication signal and django-axes' lockout signal are the only places these facts exist, so the
receivers are thin: they pass what the signal says to crisis.audit.record. Successful sign-ins are in
django-axes' access log (axes_accesslog: user, address, time in and out).
"""

from __future__ import annotations

from . import audit

USERNAME_MAX = 150


def _clean(username) -> str:
    # An attempted username is attacker-chosen text: PostgreSQL's jsonb cannot hold a NUL.
    return str(username or "").replace("\x00", "\ufffd")[:USERNAME_MAX]


def _username(credentials: dict | None, request=None) -> str:
    from django.contrib.auth import get_user_model

    field = get_user_model().USERNAME_FIELD
    name = (credentials or {}).get(field)
    if name is None and request is not None and request.method == "POST":
        name = request.POST.get(field)
    return _clean(name)


def axes_username(request, credentials) -> str | None:
    """The username django-axes counts and stores (AXES_USERNAME_CALLABLE): as typed, but no longer than a
    username can be and without NUL. A 100,000-character "username" overflowed axes' varchar(255): a 500."""
    return _username(credentials, request) or None


def on_login_failed(sender, credentials=None, request=None, **kwargs):
    audit.record(actor=None, action="crisis.login.failed", username=_username(credentials, request))


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    from django.conf import settings

    audit.record(
        actor=None,
        action="crisis.login.locked_out",
        username=_clean(username),
        failure_limit=settings.AXES_FAILURE_LIMIT,
        cooloff_seconds=int(settings.AXES_COOLOFF_TIME.total_seconds()),
    )
