"""Partners' systems: their API account, token and signing secret; the endpoints they are sent events at.

The token and the secret are shown once, when made: the caller (the admin) shows them and they are not shown
again. Tokens are issued by `crisis.tokens` for the integration role (hashed at rest, expiring after
API_TOKEN_LIFETIME_DAYS: rotate the credentials before then); only `partner_issue_token` issues one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.text import slugify

from crisis import audit, roles
from crisis.errors import InvalidInput
from crisis.models import ApiToken, User
from crisis.tokens import api_token_issue

from .models import Event, PartnerSystem, PayloadFormat, WebhookEndpoint


@dataclass(frozen=True)
class Credentials:
    """What a partner is given once: its API token and its webhook signing secret."""

    token: str
    secret: str


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def partner_issue_token(*, partner: PartnerSystem, by: User | None = None) -> str:
    _, key = api_token_issue(user=partner.user, role=roles.INTEGRATION, by=by, replace=True)
    return key


def partner_create(
    *, name: str, by: User | None, purpose: str = "", directory_partner=None
) -> tuple[PartnerSystem, Credentials]:
    name = name.strip()
    if not name:
        raise InvalidInput("Name the partner.", field="name")
    if PartnerSystem.objects.filter(name__iexact=name).exists():
        raise InvalidInput(f"A partner named {name} exists already.", field="name")
    with transaction.atomic():
        username = f"integration-{slugify(name)[:100] or 'partner'}"
        if User.objects.filter(username=username).exists():
            username = f"{username}-{secrets.token_hex(3)}"
        user = User(username=username, first_name=name[:150])
        user.set_unusable_password()  # an API account: it never signs in to the pages
        user.save()
        user.groups.add(Group.objects.get(name=roles.INTEGRATION))
        partner = PartnerSystem.objects.create(
            name=name,
            user=user,
            secret=new_secret(),
            purpose=purpose.strip()[:200] or "Care coordination",
            directory_partner=directory_partner,
        )
        token = partner_issue_token(partner=partner, by=by)
        audit.record(actor=by, action="integrations.partner.created", obj=partner, name=name)
    return partner, Credentials(token=token, secret=partner.secret)


def partner_rotate_credentials(*, partner: PartnerSystem, by: User | None) -> Credentials:
    """A new token and a new secret, the old ones refused from now on."""
    with transaction.atomic():
        partner = PartnerSystem.objects.select_for_update().get(pk=partner.pk)
        partner.secret = new_secret()
        partner.save(update_fields=["secret"])
        token = partner_issue_token(partner=partner, by=by)
        audit.record(actor=by, action="integrations.partner.credentials_rotated", obj=partner)
    return Credentials(token=token, secret=partner.secret)


def partner_update(*, partner: PartnerSystem, purpose: str, directory_partner, by: User | None) -> PartnerSystem:
    with transaction.atomic():
        PartnerSystem.objects.filter(pk=partner.pk).update(
            purpose=purpose.strip()[:200] or "Care coordination", directory_partner=directory_partner
        )
        audit.record(
            actor=by,
            action="integrations.partner.changed",
            obj=partner,
            purpose=purpose,
            directory_partner=directory_partner.pk if directory_partner else None,
        )
    partner.refresh_from_db()
    return partner


def partner_set_active(*, partner: PartnerSystem, active: bool, by: User | None) -> PartnerSystem:
    with transaction.atomic():
        PartnerSystem.objects.filter(pk=partner.pk).update(active=active)
        User.objects.filter(pk=partner.user_id).update(is_active=active)
        if not active:
            ApiToken.objects.filter(user_id=partner.user_id).delete()
        audit.record(actor=by, action="integrations.partner.active_changed", obj=partner, active=active)
    partner.refresh_from_db()
    return partner


def clean_events(events) -> list[str]:
    if not isinstance(events, list) or not events:
        raise InvalidInput("Choose at least one event.", field="events")
    unknown = [e for e in events if e not in Event.values]
    if unknown:
        raise InvalidInput(f"Unknown event {unknown[0]!r}.", field="events")
    return sorted(set(events))


def endpoint_check(*, url: str, events, payload_format: str) -> list[str]:
    """What an endpoint's registration must satisfy (also the admin form's check); its events, cleaned."""
    events = clean_events(events)
    if payload_format not in PayloadFormat.values:
        raise InvalidInput(f"Unknown payload format {payload_format!r}.", field="payload_format")
    if payload_format == PayloadFormat.EIDO and Event.REFERRAL_STATUS_CHANGED in events:
        raise InvalidInput("An EIDO endpoint follows calls only, not referrals.", field="events")
    if payload_format == PayloadFormat.FHIR and events != [Event.REFERRAL_STATUS_CHANGED]:
        raise InvalidInput("A FHIR endpoint follows referrals only.", field="events")
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidInput("The URL must start with http:// or https://.", field="url")
    return events


def endpoint_save(
    *,
    partner: PartnerSystem,
    url: str,
    events: list[str],
    by: User | None,
    payload_format: str = PayloadFormat.JSON,
    active: bool = True,
    endpoint: WebhookEndpoint | None = None,
) -> WebhookEndpoint:
    """Register (or change) where a partner hears of events."""
    events = endpoint_check(url=url, events=events, payload_format=payload_format)
    with transaction.atomic():
        endpoint = endpoint or WebhookEndpoint(partner=partner)
        endpoint.partner = partner
        endpoint.url = url
        endpoint.events = events
        endpoint.payload_format = payload_format
        endpoint.active = active
        endpoint.full_clean()
        endpoint.save()
        audit.record(
            actor=by,
            action="integrations.endpoint.saved",
            obj=endpoint,
            url=url,
            events=events,
            payload_format=payload_format,
            active=active,
        )
    return endpoint
