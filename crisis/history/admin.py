"""Read-only: consents, plans and records are written through crisis.history.services, which audit."""

from django.contrib import admin

from crisis.admin import AuditedReadAdmin

from .models import Consent, ResponsePlan


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consent)
class ConsentAdmin(AuditedReadAdmin, ReadOnly):
    read_action = "history.consent.viewed"
    list_action = "history.consents.listed"
    list_display = ["person", "scope", "granted_on", "expires_on", "revoked_at"]
    list_filter = ["scope"]


@admin.register(ResponsePlan)
class ResponsePlanAdmin(AuditedReadAdmin, ReadOnly):
    read_action = "history.response_plan.viewed"
    list_action = "history.response_plans.listed"
    list_display = ["person", "officer_view", "updated_at", "updated_by"]


# ClinicalRecord and Part2Record are deliberately not registered: reading them must go through
# history_view (consent, purpose, audit), and the admin would be a door around it.
