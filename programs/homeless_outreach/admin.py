from django.contrib import admin

from .models import OutreachContact


@admin.register(OutreachContact)
class OutreachContactAdmin(admin.ModelAdmin):
    """Read-only: contacts are recorded through homeless_outreach.services (audited)."""

    list_display = ["at", "person", "team", "outcome", "housing_partner"]
    list_filter = ["team", "outcome"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
