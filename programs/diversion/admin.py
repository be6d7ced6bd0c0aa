from django.contrib import admin

from crisis.admin import AuditedReadAdmin

from .models import Diversion


@admin.register(Diversion)
class DiversionAdmin(AuditedReadAdmin):
    """Read-only: diversions are written by their services only."""

    read_action = "diversion.diversion.viewed"  # as the diversion page
    list_action = "diversion.diversions.listed"

    list_display = ["cad_incident_id", "status", "clinician", "transferred_at", "ended_at"]
    list_filter = ["status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
