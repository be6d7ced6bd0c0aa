from django.db import models
from django.utils import timezone


class Referral(models.Model):
    """A service a community responder connected the person to on scene."""

    call = models.ForeignKey("dispatch.Call", on_delete=models.PROTECT, related_name="referrals")
    agency = models.CharField(max_length=120)
    service = models.CharField(max_length=120)
    at = models.DateTimeField(default=timezone.now)
