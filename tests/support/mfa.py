"""Two-step sign-in in tests (crisis/mfa.py): turn it on, and sign a persona in already verified.

The suite runs with MFA_REQUIRED off (crisis/settings.py), so tests that sign in with force_login keep working;
tests about two-step sign-in use `mfa_on` and, for a signed-in verified session, `verified_login`.
"""

from __future__ import annotations

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# A fixed secret so a test (or a browser test's page) can compute the current code.
TEST_KEY_HEX = "3132333435363738393031323334353637383930"


@pytest.fixture
def mfa_on(settings):
    settings.MFA_REQUIRED = True
    return settings


def enrol(user, key_hex: str = TEST_KEY_HEX) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator app", key=key_hex, confirmed=True)


def current_code(device: TOTPDevice, *, drift: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.drift = drift
    return f"{totp.token():0{device.digits}d}"


def verified_login(client, user):
    """force_login, then mark the session verified with a (created if missing) confirmed device."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrol(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
