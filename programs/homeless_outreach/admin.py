from django.contrib import admin

from crisis.admin import AuditedReadAdmin

from .models import OutreachContact, PartnerAgencyUser, SharingConsent


@admin.register(OutreachContact)
class OutreachContactAdmin(AuditedReadAdmin):
    """Read-only: contacts are recorded through homeless_outreach.services (audited)."""

    read_action = "homeless_outreach.contact.viewed"
    list_action = "homeless_outreach.contacts.listed"

    list_display = ["at", "person", "team", "outcome", "housing_partner"]
    list_filter = ["team", "outcome"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PartnerAgencyUser)
class PartnerAgencyUserAdmin(admin.ModelAdmin):
    """Which partner agency a police liaison or housing navigator works for (administrators keep it)."""

    list_display = ["user", "partner"]
    list_filter = ["partner"]


@admin.register(SharingConsent)
class SharingConsentAdmin(AuditedReadAdmin):
    """Read-only: consents are recorded and revoked through homeless_outreach.services (audited)."""

    read_action = "homeless_outreach.sharing_consent.viewed"
    list_action = "homeless_outreach.sharing_consents.viewed"  # as the consents page

    list_display = ["person", "partner", "scope", "granted_at", "expires_at", "revoked_at"]
    list_filter = ["partner", "scope"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
