from django.db import models
from django.utils import timezone


class Enrollment(models.Model):
    """A justice-involved client on a FACT team's caseload (the team answers 24/7)."""

    person = models.ForeignKey("crisis.Person", on_delete=models.PROTECT, related_name="fact_enrollments")
    team = models.ForeignKey("responders.Team", on_delete=models.PROTECT, related_name="fact_enrollments")
    enrolled_on = models.DateField(default=timezone.localdate)
    discharged_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(discharged_on__isnull=True), name="fact_one_open_enrollment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.team}"
