from django.contrib import admin

from crisis.admin import AuditedReadAdmin

from .models import Enrollment, OnCallShift


class ReadOnly(admin.ModelAdmin):
    """Read-only: FACT records are written by fact.services (checked and audited), from the FACT pages and API."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(AuditedReadAdmin, ReadOnly):
    read_action = "fact.client.viewed"  # as the client page
    list_action = "fact.enrollments.listed"
    list_display = ["person", "team", "enrolled_on", "justice_involvement", "discharged_on", "discharge_reason"]
    list_filter = ["team"]


@admin.register(OnCallShift)
class OnCallShiftAdmin(ReadOnly):
    list_display = ["team", "member", "starts_at", "ends_at"]
    list_filter = ["team"]
