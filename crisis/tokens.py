"""API tokens: issued for one role, stored as a digest, expiring; the only writer of crisis.ApiToken.

HIPAA 164.312(d) and CJIS 5.6.2.2.1 ask that a credential be protected at rest and that its use end when
access does: a token is shown once, kept as its SHA-256 digest, refused after `API_TOKEN_LIFETIME_DAYS`,
deleted on a new password or deactivation (crisis.revocation), and opens only what its role opens.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import audit, roles
from .errors import InvalidInput
from .models import ApiToken, User

# Every role a token may be issued for: the roles with pages and the partners' systems.
TOKEN_ROLES = (*roles.ROLE_ORDER, roles.INTEGRATION)


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def default_role(user: User) -> str | None:
    """The role a token is issued for when none is named: the user's first role in ROLE_ORDER."""
    held = set(user.groups.values_list("name", flat=True))
    return next((r for r in TOKEN_ROLES if r in held), None)


def api_token_issue(
    *, user: User, role: str | None = None, by: User | None, lifetime_days: int | None = None, replace: bool = False
) -> tuple[ApiToken, str]:
    """A new token for `user` acting as `role`; the key is returned once and never stored."""
    role = role or default_role(user)
    if role not in TOKEN_ROLES:
        raise InvalidInput(f"Name one of the roles: {', '.join(TOKEN_ROLES)}.", field="role")
    if not user.is_active:
        raise InvalidInput(f"{user.get_username()} is deactivated.", field="user")
    if user.is_superuser:
        # Django answers every has_perm of a superuser with yes before any backend: no role could scope it.
        raise InvalidInput("A superuser gets no API token: it could not be held to one role.", field="user")
    if not user.groups.filter(name=role).exists():
        raise InvalidInput(f"{user.get_username()} does not hold the {role} role.", field="role")
    days = settings.API_TOKEN_LIFETIME_DAYS if lifetime_days is None else lifetime_days
    if days < 1:
        raise InvalidInput("A token lives at least one day.", field="lifetime_days")
    key = secrets.token_hex(20)  # 40 characters, as DRF's tokens were: clients' stored formats still fit
    now = timezone.now()
    with transaction.atomic():
        if replace:
            ApiToken.objects.filter(user=user).delete()  # each deletion is revoked and audited (crisis.revocation)
        token = ApiToken.objects.create(
            digest=token_digest(key),
            prefix=key[:8],
            user=user,
            role=role,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        audit.record(
            actor=by,
            action="crisis.api_token.issued",
            obj=user,
            role=role,
            prefix=token.prefix,
            expires_at=token.expires_at.isoformat(),
        )
    return token, key


def api_token_find(key: str, *, load: Callable[[str], ApiToken | None] | None = None) -> ApiToken | None:
    """The unexpired token of an active user for this key, with its user; None otherwise. `load(digest)` reads
    the row when the caller wants more in the same statement (crisis.authentication: the role's permissions)."""
    if not key or "\x00" in key or len(key) > 200:
        return None
    digest = token_digest(key)
    token = load(digest) if load else ApiToken.objects.select_related("user").filter(digest=digest).first()
    if token is None or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    return token
