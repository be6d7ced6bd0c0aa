from django.db import models
from django.utils import timezone

from .living import LivingSituation


class HousingReferral(models.TextChoices):
    SENT = "sent", "Referred, waiting"
    ACCEPTED = "accepted", "Accepted by the partner"
    DECLINED = "declined", "Declined by the partner"
    HOUSED = "housed", "Housed"


class OutreachContact(models.Model):
    """A contact with a person experiencing homelessness, and what it connected them to."""

    class Outcome(models.TextChoices):
        ENGAGED = "engaged", "Engaged, no referral yet"
        SHELTER = "shelter", "Connected to shelter"
        HOUSING = "housing", "Housing application or placement"
        SERVICES = "services", "Connected to health or benefits services"
        DECLINED = "declined", "Declined services"

    person = models.ForeignKey("crisis.Person", on_delete=models.PROTECT, related_name="outreach_contacts")
    team = models.ForeignKey("responders.Team", on_delete=models.PROTECT, related_name="outreach_contacts")
    call = models.ForeignKey("dispatch.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.ENGAGED)
    housing_partner = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)
    # Where the person is living now (HUD HMIS 4.12), as the worker saw it at this contact.
    living_situation = models.PositiveSmallIntegerField(choices=LivingSituation.choices, null=True, blank=True)
    # The referral to `housing_partner` as it stands at this contact; the by-name list shows the latest.
    housing_referral_status = models.CharField(max_length=12, choices=HousingReferral.choices, blank=True)
