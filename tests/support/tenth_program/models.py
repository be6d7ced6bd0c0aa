from django.db import models
from django.utils import timezone


class RespiteStay(models.Model):
    """This program's own case record: a person's stay at a peer respite house."""

    person = models.ForeignKey("crisis.Person", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("responders.Team", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
