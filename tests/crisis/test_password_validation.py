"""AUTH_PASSWORD_VALIDATORS (crisis/settings.py): short, common, all-numeric or name-like passwords are refused."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from crisis.models import User


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("20261127123456", "entirely numeric"),
        ("8675309", "too short"),
        ("password123", "too common"),
        ("danadispatch", "too similar"),
    ],
)
def test_weak_passwords_are_refused(password, why):
    user = User(username="danadispatch", first_name="Dana")
    with pytest.raises(ValidationError, match=why):
        validate_password(password, user)


def test_a_passphrase_passes():
    validate_password("correct horse battery staple", User(username="dana"))
