"""Web Push: a team member's browsers are told of an offer even when the phone is in a pocket.

`push_subscription_save` / `push_subscription_delete` keep a user's browsers; `offer_push_send` (run by the
task `dispatch.tasks.send_offer_push`, enqueued after commit by `jobs.enqueue_offer_push`) posts the offer,
encrypted (RFC 8291) and signed with the VAPID key (RFC 8292), to each subscription of the team's active
members (or of the fewer a program's `offer_recipients` hook names). Dispatch never waits for a push service:
a failure is logged, a subscription the push service says is gone (404/410) is removed, and the phone's live
page and its sound stay the primary way.

The payload carries no health information: it shows on a lock screen. Only the call number, the priority
and the time to answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from pywebpush import WebPushException, webpush

from crisis import audit, permissions
from crisis.errors import InvalidInput
from crisis.models import User
from programs import plugins as program_plugins
from responders.models import PushSubscription

from .models import Assignment, AssignmentStatus

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class PushConfig:
    public_key: str
    private_key: str
    subject: str


def push_config() -> PushConfig | None:
    """The VAPID configuration, or None when Web Push is off (keys not set)."""
    if not (
        settings.WEBPUSH_VAPID_PUBLIC_KEY and settings.WEBPUSH_VAPID_PRIVATE_KEY and settings.WEBPUSH_VAPID_SUBJECT
    ):
        return None
    return PushConfig(
        settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY, settings.WEBPUSH_VAPID_SUBJECT
    )


def _b64url_bytes(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("Not base64url.", field=field) from exc


def _check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.WEBPUSH_ALLOW_HTTP):
        raise InvalidInput("The push endpoint must be an https URL.", field="endpoint")
    for allowed in settings.WEBPUSH_ENDPOINT_HOSTS:
        if host == allowed or (allowed.startswith("*.") and host.endswith(allowed[1:])):
            return
    raise InvalidInput(f"{host or 'This host'} is not a push service this server sends to.", field="endpoint")


def push_subscription_save(
    *, user: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Register (or refresh) this browser for offer notifications. The browser belongs to whoever saved it last."""
    permissions.require(
        permissions.may_manage_push_subscription, user, None, "Only a responder may turn on offer notifications."
    )
    _check_endpoint(endpoint)
    key = _b64url_bytes(p256dh, "keys.p256dh")
    if len(key) != 65 or key[0] != 4:
        raise InvalidInput("keys.p256dh must be an uncompressed P-256 public key.", field="keys.p256dh")
    if len(_b64url_bytes(auth, "keys.auth")) != 16:
        raise InvalidInput("keys.auth must be 16 bytes.", field="keys.auth")
    with transaction.atomic():
        subscription, created = PushSubscription.objects.update_or_create(
            endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]}
        )
        if created:
            audit.record(actor=user, action="responders.push.subscribed", obj=subscription)
    return subscription


def push_subscription_delete(*, subscription: PushSubscription, by: User) -> None:
    permissions.require(
        permissions.may_manage_push_subscription, by, subscription, "You can turn off only your own notifications."
    )
    with transaction.atomic():
        audit.record(actor=by, action="responders.push.unsubscribed", obj=subscription)
        subscription.delete()


def offer_payload(assignment: Assignment) -> dict:
    call = assignment.call
    minutes = max(1, round(settings.OFFER_TIMEOUT_SECONDS / 60))
    what = f"P{call.priority} call" if call.priority else "Call"
    return {
        "title": f"{what} #{call.pk} offered to {assignment.team.name}",
        "body": f"Answer within {minutes} min: open the app to accept or decline.",
        "url": "/responder/",
        "tag": f"offer-{assignment.pk}",
    }


def offer_push_send(*, assignment_id: int) -> int:
    """Notify the offered team's members' browsers; returns how many pushes the push services accepted.

    Safe to run twice (the notification's tag makes a second one replace the first). Nothing is sent for an
    offer that is no longer open.
    """
    config = push_config()
    if config is None:
        return 0
    assignment = Assignment.objects.select_related("call", "team").filter(pk=assignment_id).first()
    if assignment is None or assignment.status != AssignmentStatus.OFFERED:
        return 0
    subscriptions = PushSubscription.objects.filter(
        user__membership__team_id=assignment.team_id, user__membership__active=True, user__is_active=True
    )
    # A program may wake fewer of the team (FACT after hours: its on-call member only).
    only = program_plugins.offer_recipients(assignment.call, assignment.team)
    if only is not None:
        subscriptions = subscriptions.filter(user_id__in=only)
    data = json.dumps(offer_payload(assignment))
    sent = 0
    for subscription in subscriptions:
        try:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=data,
                vapid_private_key=config.private_key,
                vapid_claims={"sub": config.subject},  # a fresh dict: pywebpush adds aud and exp to it
                ttl=settings.OFFER_TIMEOUT_SECONDS,  # an offer is worth nothing after it lapses
                headers={"Urgency": "high"},
                timeout=SEND_TIMEOUT_SECONDS,
            )
            sent += 1
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                # The browser unsubscribed or the subscription expired: the push service will never take it again.
                log.info("Web Push subscription %s is gone (%s): removed", subscription.pk, status)
                subscription.delete()
            else:
                log.warning("Web Push to subscription %s failed: %s", subscription.pk, exc)
        except requests.RequestException as exc:
            log.warning("Web Push to subscription %s failed: %s", subscription.pk, exc)
    return sent
