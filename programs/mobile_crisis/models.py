from django.db import models


class FollowUp(models.Model):
    """Follow-up contact after a field response (the 72-hour standard). Written by mobile_crisis.services."""

    class Method(models.TextChoices):
        PHONE = "phone", "Phone"
        VISIT = "visit", "Visit"

    call = models.ForeignKey("dispatch.Call", on_delete=models.PROTECT, related_name="follow_ups")
    team = models.ForeignKey(
        "responders.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.PHONE)
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey("crisis.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reached = models.BooleanField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            # One open follow-up per call: closing a call twice (a replayed tap) must not schedule two.
            models.UniqueConstraint(
                fields=["call"], condition=models.Q(completed_at__isnull=True), name="mobile_crisis_one_open_follow_up"
            )
        ]

    def __str__(self) -> str:
        return f"Follow-up for call {self.call_id} due {self.due_at:%Y-%m-%d %H:%M}"
