from django.db import models


class FollowUp(models.Model):
    """Follow-up contact after a field response (the 72-hour standard)."""

    call = models.ForeignKey("dispatch.Call", on_delete=models.PROTECT, related_name="follow_ups")
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey("crisis.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
