"""Partners' systems the platform talks to, the webhook endpoints they registered, and the delivery outbox.

Written only by integrations.services / integrations.webhooks; the admin shows them and calls those services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Event(models.TextChoices):
    """What a partner may subscribe to. `call.status_changed` is what a 911 CAD follows (as EIDO documents)."""

    CALL_CREATED = "call.created", "Call created"
    CALL_ASSIGNED = "call.assigned", "Team assigned to a call"
    CALL_CLOSED = "call.closed", "Call closed or cancelled"
    CALL_STATUS_CHANGED = "call.status_changed", "Any status change of a call"
    REFERRAL_STATUS_CHANGED = "referral.status_changed", "Referral status changed"


class PayloadFormat(models.TextChoices):
    JSON = "json", "Platform JSON event"
    EIDO = "eido", "NENA EIDO document (calls only; for a CAD)"
    # A transaction Bundle (PUT ServiceRequest and Task) POSTed to the partner's FHIR base URL.
    FHIR = "fhir", "FHIR R4 transaction Bundle (referrals only; for a partner's FHIR server)"


class PartnerSystem(models.Model):
    """A partner's system: its own API account (the `integration` role, one token), its signing secret."""

    name = models.CharField(max_length=120, unique=True)
    # The partner's own API account: its token is scoped to this partner and nothing else.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_system", editable=False
    )
    # HMAC-SHA256 key for the signatures of what we send. Generated, shown once, never shown again; it has to be
    # kept readable (not hashed) because we sign with it.
    secret = models.CharField(max_length=128, editable=False)
    active = models.BooleanField(default=True, help_text="Inactive: nothing is sent to it and its token is refused.")
    purpose = models.CharField(
        max_length=200,
        default="Care coordination",
        help_text="Why records are disclosed to this partner (written to every accounting-of-disclosures row).",
    )
    # The directory entry referrals are made to (community responders), when this partner receives referrals: its
    # account may then read and move those referrals as FHIR ServiceRequest/Task, and no others.
    directory_partner = models.OneToOneField(
        "community_responders.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="system",
        help_text="The referral partner this system speaks for (FHIR referrals).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("exchange_eido", "Can import and export 911 incidents as NENA EIDO documents"),
            ("exchange_fhir", "Can read and update referrals as FHIR ServiceRequest and Task"),
            ("export_hmis", "Can export the HUD HMIS CSV files"),
        ]

    def __str__(self) -> str:
        return self.name


class WebhookEndpoint(models.Model):
    """Where a partner wants to hear of events, and which ones."""

    partner = models.ForeignKey(PartnerSystem, on_delete=models.PROTECT, related_name="endpoints")
    url = models.URLField("URL", max_length=500, help_text="Where we POST: the partner's receiver or FHIR base.")
    events = models.JSONField(default=list, help_text="Events sent here (see integrations.models.Event).")
    payload_format = models.CharField(max_length=8, choices=PayloadFormat.choices, default=PayloadFormat.JSON)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["partner__name", "id"]

    def __str__(self) -> str:
        return f"{self.partner.name}: {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    # Gave up after WEBHOOK_MAX_ATTEMPTS; an administrator may replay it.
    FAILED = "failed", "Failed (gave up)"


class Delivery(models.Model):
    """One event for one endpoint: the outbox row, its attempts, its outcome. Sent in id order per endpoint."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    # The person whose data the payload carries, if any: each successful send is a disclosure about them.
    person = models.ForeignKey("crisis.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replays")

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["endpoint", "status", "id"])]
        permissions = [("replay_delivery", "Can replay a webhook delivery")]

    def __str__(self) -> str:
        return f"Delivery #{self.pk} {self.event} to {self.endpoint_id} ({self.status})"


class CadIncident(models.Model):
    """A 911 CAD incident imported as a call (NENA EIDO): what the call model has no room for, and the key that
    makes the import idempotent (the incident's tracking identifier, unique across CADs by the standard)."""

    incident_id = models.CharField(max_length=255, unique=True)
    call = models.OneToOneField("dispatch.Call", on_delete=models.PROTECT, related_name="cad_incident")
    partner = models.ForeignKey(PartnerSystem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    incident_type = models.CharField(max_length=100, help_text="incidentTypeCommonRegistryText as received")
    location_type = models.CharField(max_length=100, blank=True)
    caller_roles = models.JSONField(default=list, blank=True)
    # The agencies of the incident as received (role, type, name): the call has no such notion.
    agencies = models.JSONField(default=list, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"CAD incident {self.incident_id} → call #{self.call_id}"
