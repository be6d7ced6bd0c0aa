"""A person's mental-health history, as far as their consent or the law lets it be shown.

Three tiers, each behind its own door in `crisis.history.services`:

- the crisis response plan: written with the person for first responders (triggers, what helps, who to
  call); a clinician decides whether officers may see it (`officer_view`);
- clinical history (mental-health records and the person's history note): shown with the person's
  consent, or after a "break the glass" reason that alerts supervisors at once;
- substance-use treatment records from a 42 CFR Part 2 program: their own table, shown only with the
  person's written Part 2 consent, never on break-the-glass, and always with the redisclosure notice.

Rows are written by the services only (the admin shows them read-only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ResponsePlan(models.Model):
    person = models.OneToOneField("crisis.Person", on_delete=models.PROTECT, related_name="response_plan")
    triggers = models.TextField(blank=True, help_text="What makes things worse.")
    what_helps = models.TextField(blank=True, help_text="What calms the person, what to say and avoid.")
    who_to_call = models.TextField(blank=True, help_text="Family, case manager, prescriber: names and numbers.")
    # The clinician decides whether an officer on a consult may see the plan's officer view.
    officer_view = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        permissions = [
            ("search_history", "Can search people's history with a stated purpose"),
            ("break_glass", "Can open clinical history without consent, stating a reason (supervisors alerted)"),
            ("edit_response_plan", "Can write a crisis response plan and its officer view"),
            ("view_part2", "Can read 42 CFR Part 2 records with the person's Part 2 consent (never interns)"),
        ]

    def __str__(self) -> str:
        return f"Response plan for person #{self.person_id}"

    def officer_fields(self) -> dict[str, str]:
        """What an officer may see, and only when `officer_view` is on."""
        return {"triggers": self.triggers, "what_helps": self.what_helps, "who_to_call": self.who_to_call}


class ConsentScope(models.TextChoices):
    CLINICAL_HISTORY = "clinical_history", "Clinical history (mental health)"
    PART2 = "part2", "Substance-use treatment records (42 CFR Part 2)"
    # Sharing with the Continuum of Care's HMIS: without it, the HMIS export de-identifies the person.
    HMIS = "hmis", "Sharing with the homeless management information system (HMIS)"


class ConsentQuerySet(models.QuerySet):
    def in_force(self, on=None):
        day = on or timezone.localdate()
        return self.filter(revoked_at__isnull=True, granted_on__lte=day).filter(
            models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=day)
        )


class Consent(models.Model):
    """The person's written consent to show one tier of their records to the crisis hub's clinicians."""

    person = models.ForeignKey("crisis.Person", on_delete=models.PROTECT, related_name="consents")
    scope = models.CharField(max_length=20, choices=ConsentScope.choices)
    granted_on = models.DateField(default=timezone.localdate)
    expires_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    document = models.CharField(max_length=200, blank=True, help_text="Where the signed form is kept.")

    objects = ConsentQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.get_scope_display()} consent of person #{self.person_id}"


class ClinicalRecord(models.Model):
    """A mental-health history entry (diagnosis, hospitalisation, medication, prior crisis)."""

    person = models.ForeignKey("crisis.Person", on_delete=models.PROTECT, related_name="clinical_records")
    on = models.DateField()
    source = models.CharField(max_length=120)
    summary = models.TextField()

    class Meta:
        ordering = ["-on", "-id"]


class Part2Record(models.Model):
    """A record from a federally assisted substance-use disorder program (42 CFR Part 2): held apart."""

    person = models.ForeignKey("crisis.Person", on_delete=models.PROTECT, related_name="part2_records")
    on = models.DateField()
    program_name = models.CharField(max_length=120)
    summary = models.TextField()

    class Meta:
        ordering = ["-on", "-id"]
