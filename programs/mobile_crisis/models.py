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
    next_step = models.CharField(max_length=200, blank=True)
    # Set once, by the periodic check, when the follow-up passed its due time still open.
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open follow-up per call: closing a call twice (a replayed tap) must not schedule two.
            models.UniqueConstraint(
                fields=["call"], condition=models.Q(completed_at__isnull=True), name="mobile_crisis_one_open_follow_up"
            )
        ]
        indexes = [
            models.Index(
                fields=["team", "due_at"], condition=models.Q(completed_at__isnull=True), name="mobile_crisis_open_due"
            )
        ]

    def __str__(self) -> str:
        return f"Follow-up for call {self.call_id} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None

    def is_overdue(self, now) -> bool:
        return self.completed_at is None and self.due_at < now

    def due_clock(self, now) -> str:
        """ "due in 5 h", "overdue 3 h", "done": what the list shows next to each follow-up."""
        if self.completed_at is not None:
            return "done"
        seconds = (self.due_at - now).total_seconds()
        span = _span(abs(seconds))
        return f"overdue {span}" if seconds < 0 else f"due in {span}"


def _span(seconds: float) -> str:
    if seconds < 3600:
        return f"{max(1, int(seconds // 60))} min"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"
