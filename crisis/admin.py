from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import AuditEntry, Person, User

admin.site.register(User, UserAdmin)
admin.site.register(Person)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _staff_or_team_manager(request) -> bool:
    # Supervisors staff their teams here without being Django staff; what each may see and change
    # in the admin is still the role table's model permissions (crisis/roles.py).
    user = request.user
    return bool(user.is_active and (user.is_staff or user.has_perm("responders.manage_team")))


admin.site.has_permission = _staff_or_team_manager
admin.site.site_header = "Crisis dispatch administration"
