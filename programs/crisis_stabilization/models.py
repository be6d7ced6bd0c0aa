"""Community-based crisis stabilization: a short episode of case management after a crisis, so the person stays
in the community. Written only by crisis_stabilization.services (checked and audited)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Outcome(models.TextChoices):
    STABILIZED = "stabilized", "Stable in the community"
    INPATIENT = "inpatient", "Admitted to inpatient care"
    JAIL = "jail", "Jail"
    OTHER = "other", "Other higher level of care"


class Episode(models.Model):
    """An episode has an owner and a due time (the next contact): who keeps the person from falling through, by when."""

    person = models.ForeignKey("crisis.Person", on_delete=models.PROTECT, related_name="stabilization_episodes")
    team = models.ForeignKey("responders.Team", on_delete=models.PROTECT, related_name="stabilization_episodes")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    goals = models.TextField()
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    planned_end_on = models.DateField()
    due_at = models.DateTimeField(help_text="When the next contact is due.")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    close_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(closed_at__isnull=True), name="stabilization_one_open_episode"
            )
        ]
        indexes = [
            models.Index(fields=["team", "due_at"], condition=models.Q(closed_at__isnull=True), name="stab_open_due")
        ]

    def __str__(self) -> str:
        return f"Stabilization episode for {self.person}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def is_overdue(self, now) -> bool:
        return self.closed_at is None and self.due_at < now


class ContactMethod(models.TextChoices):
    VISIT = "visit", "Visit"
    PHONE = "phone", "Phone"
    OFFICE = "office", "Office"


class EpisodeContact(models.Model):
    """A short-term case-management contact within the episode; it sets when the next one is due."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="contacts")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=8, choices=ContactMethod.choices, default=ContactMethod.VISIT)
    reached = models.BooleanField(default=True)
    note = models.TextField(blank=True)
