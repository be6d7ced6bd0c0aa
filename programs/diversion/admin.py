from django.contrib import admin

from .models import Diversion


@admin.register(Diversion)
class DiversionAdmin(admin.ModelAdmin):
    """Read-only: diversions are written by their services only."""

    list_display = ["cad_incident_id", "status", "clinician", "transferred_at", "ended_at"]
    list_filter = ["status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
