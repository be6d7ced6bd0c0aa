"""Webhooks: events become outbox rows in the transaction that made them; a worker sends them, in order.

Why an outbox: the delivery row is written with the change that caused it, so a rolled-back change sends
nothing and a committed one cannot be lost between the commit and the queue (the sweep picks up any row whose
task never arrived). Dispatch pays one query and an insert per subscribed endpoint, never a network round-trip:
a partner that is down slows only its own queue.

Order per endpoint: a worker sends the oldest pending row of an endpoint and only then the next one, each in
its own transaction with the endpoint row locked (FOR NO KEY UPDATE, so inserts of new rows, which take a key
share lock on the endpoint, are never blocked). A failing row blocks the rows behind it until it is delivered
or given up, with exponential backoff between attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from crisis import audit, outbound, permissions
from crisis.errors import InvalidInput
from crisis.models import User

from . import disclosures, eido, fhir, jobs
from .models import Delivery, DeliveryStatus, Event, PayloadFormat, WebhookEndpoint

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Crisis-Signature"
CLOSING_STATUSES = frozenset({"closed", "cancelled"})


# --- events -> outbox rows (inside the caller's transaction) --------------------------------------------------


def events_for(kind: str, *, from_status: str = "", to_status: str = "", **_: Any) -> list[str]:
    """Which subscribable events one outbound notification is."""
    if kind in ("referral.created", "referral.status_changed"):
        return [Event.REFERRAL_STATUS_CHANGED]
    if not kind.startswith("call."):
        return []
    out = []
    if kind == "call.created":
        out.append(Event.CALL_CREATED)
    if to_status and to_status != from_status:
        if to_status == "assigned":
            out.append(Event.CALL_ASSIGNED)
        if to_status in CLOSING_STATUSES:
            out.append(Event.CALL_CLOSED)
        if kind != "call.created":
            out.append(Event.CALL_STATUS_CHANGED)
    return out


def on_event(kind: str, *, obj, **data: Any) -> None:
    """The outbound hook's listener (registered in IntegrationsConfig.ready)."""
    events = events_for(kind, **data)
    if not events:
        return
    active = outbound.once(
        "webhooks.endpoints", lambda: list(WebhookEndpoint.objects.filter(active=True, partner__active=True))
    )
    endpoints = [e for e in active if set(e.events) & set(events)]
    if not endpoints:
        return
    now = timezone.now()
    for endpoint in endpoints:
        for event in events:
            if event not in endpoint.events:
                continue
            payload, person = build_payload(endpoint, event, obj, occurred_at=now, **data)
            if payload is None:
                continue
            Delivery.objects.create(endpoint=endpoint, event=event, payload=payload, person=person, created_at=now)
        jobs.enqueue_delivery(endpoint_id=endpoint.pk)


def build_payload(endpoint: WebhookEndpoint, event: str, obj, *, occurred_at, **data: Any):
    """The document sent for one event: (payload, the person whose data it carries or None)."""
    from dispatch.models import Call
    from programs.community_responders.models import Referral

    if isinstance(obj, Call):
        if endpoint.payload_format == PayloadFormat.FHIR:
            return None, None  # a FHIR server follows referrals, not calls
        if endpoint.payload_format == PayloadFormat.EIDO:
            return eido.export_call(obj), obj.person
        return (
            {"event": event, "occurred_at": occurred_at.isoformat(), "call": call_payload(obj, **data)},
            obj.person,
        )
    if isinstance(obj, Referral):
        if endpoint.payload_format == PayloadFormat.EIDO:
            return None, None  # a CAD follows calls, not referrals
        if endpoint.payload_format == PayloadFormat.FHIR:
            return fhir.transaction_bundle(obj), obj.call.person
        return (
            {
                "event": event,
                "occurred_at": occurred_at.isoformat(),
                "referral": {
                    "id": obj.pk,
                    "call_id": obj.call_id,
                    "status": obj.status,
                    "from_status": data.get("from_status", ""),
                    "fhir_task_status": obj.fhir_status,
                    "agency": obj.agency,
                    "service": obj.service,
                },
            },
            obj.call.person,
        )
    return None, None


def call_payload(call, *, from_status: str = "", **_: Any) -> dict[str, Any]:
    person = call.person
    return {
        "id": call.pk,
        "status": call.status,
        "from_status": from_status,
        "received_at": call.received_at.isoformat(),
        "source": call.source,
        "call_type": call.call_type,
        "nature": call.nature,
        "priority": call.priority,
        "tier": call.tier,
        "address": call.address,
        "latitude": call.latitude,
        "longitude": call.longitude,
        "team": call.team.name if call.team_id else None,
        "disposition": call.disposition,
        "caller_name": call.caller_name,
        "callback_number": call.callback_number,
        "person": {"id": person.pk, "name": str(person)} if person else None,
    }


# --- signing --------------------------------------------------------------------------------------------------


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the timestamp is signed too, against replays."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, tolerance_seconds: int = 300, now: float | None = None) -> bool:
    """What a receiver does (and our tests do): check the signature and that it is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header)


# --- sending (in a worker) ------------------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> float:
    """Exponential: base, 2×base, 4×base … capped."""
    return min(
        settings.WEBHOOK_BACKOFF_BASE_SECONDS * (2 ** max(attempts - 1, 0)), settings.WEBHOOK_BACKOFF_MAX_SECONDS
    )


def _post(delivery: Delivery) -> tuple[int | None, str]:
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    content_type = "application/json"
    if endpoint.payload_format == PayloadFormat.EIDO:
        content_type = eido.MEDIA_TYPE
    elif endpoint.payload_format == PayloadFormat.FHIR:
        content_type = fhir.MEDIA_TYPE
    request = urllib.request.Request(  # noqa: S310 (an administrator registered this http(s) URL)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": content_type,
            "User-Agent": "crisis-dispatch-webhooks/1",
            "X-Crisis-Event": delivery.event,
            # The receiver's de-duplication key: a replay gets a new one, a retry keeps it.
            "X-Crisis-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: sign(endpoint.partner.secret, body, int(time.time())),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))[:500]


def endpoint_send_next(*, endpoint_id: int) -> str:
    """Send the oldest pending delivery of one endpoint, if it is due. Returns what happened:

    "sent", "failed" (will retry later), "gave_up", "waiting" (the head is not due yet), "busy" (another worker
    holds the endpoint), "idle" (nothing pending).
    """
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update(skip_locked=True, no_key=True)
            .select_related("partner")
            .filter(pk=endpoint_id)
            .first()
        )
        if endpoint is None:
            return "busy" if WebhookEndpoint.objects.filter(pk=endpoint_id).exists() else "idle"
        head = endpoint.deliveries.filter(status=DeliveryStatus.PENDING).order_by("id").first()
        if head is None:
            return "idle"
        if not (endpoint.active and endpoint.partner.active):
            return "idle"  # kept pending: re-activating the endpoint sends them, in order
        now = timezone.now()
        if head.next_attempt_at > now:
            return "waiting"
        head.endpoint = endpoint
        code, error = _post(head)
        head.attempts += 1
        head.last_status_code = code
        if code is not None and 200 <= code < 300:
            head.status = DeliveryStatus.DELIVERED
            head.delivered_at = timezone.now()
            head.last_error = ""
            head.save()
            disclosures.record(
                actor=None,
                kind="webhook",
                person=head.person,
                about=head,
                partner=endpoint.partner,
                records=[f"{head.event}:delivery:{head.pk}"],
            )
            return "sent"
        head.last_error = error or f"HTTP {code}"
        if head.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            head.status = DeliveryStatus.FAILED
            head.save()
            log.warning("webhook delivery %s to %s gave up after %s attempts", head.pk, endpoint.url, head.attempts)
            return "gave_up"
        head.next_attempt_at = now + timedelta(seconds=backoff_seconds(head.attempts))
        head.save()
        return "failed"


def endpoint_deliver(*, endpoint_id: int, max_sends: int = 100) -> dict[str, int]:
    """Send what is due for one endpoint, in order, until it is empty, not due, or failing; schedule the rest."""
    counts: dict[str, int] = {}
    for _ in range(max_sends):
        outcome = endpoint_send_next(endpoint_id=endpoint_id)
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome in ("sent", "gave_up"):
            continue
        if outcome in ("failed", "waiting"):
            due = (
                Delivery.objects.filter(endpoint_id=endpoint_id, status=DeliveryStatus.PENDING)
                .aggregate(at=Min("next_attempt_at"))
                .get("at")
            )
            if due is not None:
                jobs.enqueue_delivery(
                    endpoint_id=endpoint_id, delay_seconds=max((due - timezone.now()).total_seconds(), 0.1)
                )
        elif outcome == "busy":
            # Another worker is sending for this endpoint; look again shortly in case it finished before our rows.
            jobs.enqueue_delivery(endpoint_id=endpoint_id, delay_seconds=2)
        break
    else:
        jobs.enqueue_delivery(endpoint_id=endpoint_id)  # more than one batch: carry on in a fresh task
    return counts


def deliveries_sweep() -> int:
    """The safety net (beat): enqueue every endpoint with a delivery that is due."""
    due = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by()
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    ids = list(due)
    for endpoint_id in ids:
        jobs.enqueue_delivery(endpoint_id=endpoint_id)
    return len(ids)


# --- replay ---------------------------------------------------------------------------------------------------


def delivery_replay(*, delivery: Delivery, by: User | None) -> Delivery:
    """Send a delivery's payload again, as a new row at the end of its endpoint's queue (keeps the order)."""
    permissions.require(permissions.may_replay_delivery, by, delivery, "Only an administrator may replay a delivery.")
    if delivery.status == DeliveryStatus.PENDING:
        raise InvalidInput("This delivery is still pending: it will be sent without a replay.", field="delivery")
    with transaction.atomic():
        replay = Delivery.objects.create(
            endpoint=delivery.endpoint,
            event=delivery.event,
            payload=delivery.payload,
            person=delivery.person,
            replay_of=delivery,
        )
        audit.record(actor=by, action="integrations.delivery.replayed", obj=replay, replay_of=delivery.pk)
        jobs.enqueue_delivery(endpoint_id=delivery.endpoint_id)
    return replay
