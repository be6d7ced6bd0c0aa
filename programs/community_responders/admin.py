from django.contrib import admin

from crisis.admin import AuditedReadAdmin

from .models import Partner, Referral


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    """The partner directory, kept by administrators (roles: community_responders.add/change_partner)."""

    list_display = ["name", "services", "hours", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["name", "services"]

    def has_delete_permission(self, request, obj=None):
        return False  # referrals point at partners: retire one by unticking "active"


@admin.register(Referral)
class ReferralAdmin(AuditedReadAdmin):
    """Read-only: referrals are made and moved through community_responders.services (audited)."""

    read_action = "community_responders.referral.viewed"
    list_action = "community_responders.referrals.viewed"  # as the referrals page

    list_display = ["at", "call", "agency", "service", "status", "owner", "due_at"]
    list_filter = ["status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
