from django.contrib import admin

from .models import Enrollment


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """Read-only: enrolments are written by fact.services (checked and audited); pages come with the caseload work."""

    list_display = ["person", "team", "enrolled_on", "discharged_on"]
    list_filter = ["team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
