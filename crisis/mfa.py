"""Two-step sign-in (TOTP, django-otp): CJIS 5.6.2.2 advanced authentication, HIPAA 164.312(d).

Required, when MFA_REQUIRED is on (production's default), for every user with a role (each role reads a call's
clinical fields or is an officer) and for staff: after the password, crisis.middleware.MfaRequiredMiddleware
sends an unverified session to /mfa/ (enrol on first sign-in, else a code) and answers its API requests 403.
Recovery: ten single-use codes shown once at enrolment. An administrator can reset a user's devices (audited);
the user enrols again at the next sign-in.
"""

from __future__ import annotations

import io
import re
import secrets

from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit
from .models import User

RECOVERY_CODES = 10
DEVICE_NAME = "authenticator app"


def mfa_required_for(user) -> bool:
    if not settings.MFA_REQUIRED or not getattr(user, "is_authenticated", False):
        return False
    return user.role is not None or user.is_staff


def mfa_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def mfa_enrol_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device the enrolment page shows (one per user, kept across reloads of the page)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The provisioning URI as an SVG drawn here: the secret never leaves for a QR service."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    # Drop the XML prolog and the fixed millimetre size: the page's stylesheet sizes it.
    svg = svg[svg.index("<svg") :]
    return re.sub(r' (width|height)="[^"]*"', "", svg, count=2)


def secret_text(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def mfa_enrol_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device with a first code; on success verify this session and return new recovery codes."""
    user = request.user
    if device.user_id != user.pk or device.confirmed or not device.verify_token(_digits(token)):
        audit.record(actor=user, action="crisis.mfa.failed", step="enrol")
        return None
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
        audit.record(actor=user, action="crisis.mfa.enrolled", obj=user, device="totp")
    otp_login(request, device)
    return codes


def mfa_verify(*, request, token: str) -> bool:
    """Check a code from the app (6 digits) or a recovery code; on success the session is verified."""
    user = request.user
    token = token.strip().replace(" ", "")
    # By shape, so a recovery code never counts as a wrong app code against the app's throttle (or back).
    if token.isdigit() and len(token) <= 8:
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
        token = token.lower()
    for device in devices:
        if device.verify_token(token):
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = StaticToken.objects.filter(device=device).count()
                audit.record(actor=user, action="crisis.mfa.recovery_code_used", obj=user, codes_left=left)
            return True
    audit.record(actor=user, action="crisis.mfa.failed", step="verify")
    return False


def mfa_wait_seconds(user: User) -> int:
    """How long the app's code is refused after wrong ones (django-otp doubles the wait at each failure)."""
    from django.utils import timezone

    waits = [
        (info.get("locked_until") - timezone.now()).total_seconds()
        for device in TOTPDevice.objects.filter(user=user)
        for allowed, info in [device.verify_is_allowed()]
        if not allowed and info and info.get("locked_until")
    ]
    return max(0, round(max(waits, default=0)))


def mfa_reset(*, user: User, by: User | None) -> None:
    """Remove every device of the user: they enrol again at their next sign-in. Their sessions end now."""
    from .revocation import user_access_revoke

    with transaction.atomic():
        devices = [TOTPDevice.objects.filter(user=user), StaticDevice.objects.filter(user=user)]
        removed = sum(d.count() for d in devices)
        for queryset in devices:
            queryset.delete()
        audit.record(actor=by, action="crisis.mfa.reset", obj=user, devices_removed=removed)
        user_access_revoke(user=user, reason="mfa_reset")


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _digits(token: str) -> str:
    return "".join(ch for ch in token if ch.isdigit())[:8]
