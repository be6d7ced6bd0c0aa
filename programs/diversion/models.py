"""911 dispatch diversion: calls a 911 centre transfers to the clinician embedded there, documented and
resolved by phone, or escalated to a field team.

A diversion holds what the clinician did (counselling, needs, safety plan, the outcome); the call itself,
with its risk screen, timeline and routing, is the dispatch call it was opened as (through the call desk
port, programs.plugins.call_desk). The CAD's incident number makes a transfer idempotent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class DiversionStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for a clinician"
    IN_PROGRESS = "in_progress", "With a clinician"
    RESOLVED = "resolved", "Resolved by phone"
    ESCALATED = "escalated", "Escalated to a field team"


TRANSITIONS: dict[str, frozenset[str]] = {
    DiversionStatus.WAITING: frozenset({DiversionStatus.IN_PROGRESS}),
    DiversionStatus.IN_PROGRESS: frozenset({DiversionStatus.RESOLVED, DiversionStatus.ESCALATED}),
    DiversionStatus.RESOLVED: frozenset(),
    DiversionStatus.ESCALATED: frozenset(),
}
OPEN = (DiversionStatus.WAITING, DiversionStatus.IN_PROGRESS)


class Need(models.TextChoices):
    """The needs assessment: what the caller needs beyond this call."""

    HOUSING = "housing", "Housing or shelter"
    FOOD = "food", "Food"
    MEDICATION = "medication", "Medication or prescriber"
    MENTAL_HEALTH_CARE = "mental_health_care", "Ongoing mental-health care"
    SUBSTANCE_USE = "substance_use", "Substance-use treatment"
    SAFETY = "safety", "Safety from someone else"
    BENEFITS = "benefits", "Benefits or money"
    FAMILY = "family", "Family or carer support"
    TRANSPORT = "transport", "Transport"


class Diversion(models.Model):
    call = models.OneToOneField("dispatch.Call", on_delete=models.PROTECT, related_name="diversion")
    cad_incident_id = models.CharField(max_length=64, unique=True, help_text="The 911 CAD's incident number.")
    transferred_at = models.DateTimeField(default=timezone.now, db_index=True)
    transferred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=DiversionStatus.choices, default=DiversionStatus.WAITING)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    counselling_note = models.TextField(blank=True)
    needs = models.JSONField(default=list, blank=True)
    safety_plan = models.TextField(blank=True)
    outcome_note = models.TextField(blank=True)
    # The tier the clinician's risk screen gave when the call ended (phone, or the field/911 tier it went to).
    tier = models.CharField(max_length=16, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["transferred_at", "pk"]
        permissions = [("work_diversion", "Can take and resolve calls transferred from 911 (diversion clinician)")]

    def __str__(self) -> str:
        return f"Diversion of CAD {self.cad_incident_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def need_labels(self) -> list[str]:
        return [Need(n).label for n in self.needs if n in Need.values]
