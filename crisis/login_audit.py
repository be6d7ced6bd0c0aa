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


class SprayingBackend:
    """Refuses every sign-in from an address that failed too often across usernames (password spraying).

    The lockout counts per username (five tries, CJIS 5.5.3), so one password tried over a hundred usernames
    never trips it. This counts failures per address over all usernames in django-axes' attempt rows: past
    LOGIN_IP_FAILURE_LIMIT within LOGIN_IP_WINDOW_SECONDS the address is refused, every username, until the
    window has passed. The limit is high on purpose: a dispatch centre signs in from one NAT address and a
    shift change must not lock it. Audited as crisis.login.address_throttled.
    """

    def authenticate(self, request, **credentials):
        from axes.helpers import get_client_ip_address
        from axes.models import AccessAttempt
        from django.conf import settings
        from django.db.models import Sum
        from django.utils import timezone

        from .middleware import client_ip

        if request is None:
            return None
        address = client_ip(request) or get_client_ip_address(request)
        if not address:
            return None
        since = timezone.now() - settings.LOGIN_IP_WINDOW
        failures = (
            AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
                n=Sum("failures_since_start")
            )["n"]
            or 0
        )
        if failures < settings.LOGIN_IP_FAILURE_LIMIT:
            return None
        from axes.backends import AxesBackendPermissionDenied

        audit.record(
            actor=None,
            action="crisis.login.address_throttled",
            username=_username(credentials, request),
            failures=failures,
            window_seconds=int(settings.LOGIN_IP_WINDOW.total_seconds()),
        )
        # django-axes' middleware turns this into the sign-in page's refusal (crisis.views.login_locked_out).
        request.axes_locked_out = True
        request.crisis_address_throttled = True
        request.axes_credentials = credentials
        raise AxesBackendPermissionDenied("Too many failed sign-ins from this address.")

    # No get_user on purpose: Django stores the first backend that has one in the session (force_login too),
    # and this one signs nobody in.
