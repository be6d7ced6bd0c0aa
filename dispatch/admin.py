from django.contrib import admin

from crisis.admin import AuditedReadAdmin

from .models import Call, CallEvent


class CallEventInline(admin.TabularInline):
    """The call's timeline is its audit trail: shown here, never edited."""

    model = CallEvent
    fields = ["at", "kind", "from_status", "to_status", "actor", "team", "ip_address", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Call)
class CallAdmin(AuditedReadAdmin):
    """Read-only: every change to a call goes through dispatch.services (the board and the API)."""

    list_display = ["id", "received_at", "status", "priority", "tier", "call_type", "team"]
    list_filter = ["status", "tier", "call_type"]
    inlines = [CallEventInline]
    read_action = "dispatch.call.viewed"
    list_action = "dispatch.calls.listed"  # as the call list API (dispatch/api.py)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
