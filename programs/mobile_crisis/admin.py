from django.contrib import admin

from crisis.admin import AuditedReadAdmin

from .models import FollowUp


@admin.register(FollowUp)
class FollowUpAdmin(AuditedReadAdmin):
    """Read-mostly: follow-ups are scheduled when a call closes and recorded through mobile_crisis.services."""

    read_action = "mobile_crisis.follow_up.viewed"
    list_action = "mobile_crisis.follow_ups.viewed"  # as the follow-ups page

    list_display = ["call", "team", "due_at", "completed_at", "reached", "method"]
    list_filter = ["team", "reached", "method"]
    readonly_fields = ["call", "team", "due_at", "completed_at", "completed_by", "reached", "method", "note"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
