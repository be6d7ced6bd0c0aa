from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from . import audit
from .models import AuditEntry, Person, User


@admin.register(User)
class CrisisUserAdmin(UserAdmin):
    actions = ["reset_two_step_sign_in", "issue_api_token"]

    @admin.action(description="Issue an API token for their role (shown once)", permissions=["change"])
    def issue_api_token(self, request, queryset):
        from django.contrib import messages

        from .errors import InvalidInput
        from .tokens import api_token_issue

        for user in queryset:
            try:
                token, key = api_token_issue(user=user, by=request.user)
            except InvalidInput as exc:
                self.message_user(request, f"{user.get_username()}: {exc}", level=messages.ERROR)
                continue
            # Shown this once: only the digest is kept.
            self.message_user(
                request,
                f"API token for {user.get_username()} as {token.role}, until {token.expires_at:%Y-%m-%d}: {key} "
                "(copy it now; it is not shown again)",
                level=messages.WARNING,
            )

    @admin.action(description="Reset two-step sign-in (they enrol again at their next sign-in)", permissions=["change"])
    def reset_two_step_sign_in(self, request, queryset):
        from .mfa import mfa_reset

        for user in queryset:
            mfa_reset(user=user, by=request.user)
        self.message_user(request, f"Two-step sign-in reset for {len(queryset)} user(s); their sessions ended.")


class AuditedReadAdmin(admin.ModelAdmin):
    """A change page that shows health information writes one audit row per GET (HIPAA 164.312(b))."""

    read_action = ""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        request._crisis_admin_obj = obj
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(request, "_crisis_admin_obj", None)
        if request.method == "GET" and response.status_code == 200 and obj is not None:
            audit.record(actor=request.user, action=self.read_action, obj=obj, via="admin")
        return response


@admin.register(Person)
class PersonAdmin(AuditedReadAdmin):
    read_action = "people.person.viewed"  # the same fact as the person page (crisis/people.py)
    # Mental-health history is read only through the consent-scoped lookup (crisis/history), never here.
    # A merge is made only by crisis.people.person_merge (it moves every reference and is audited), never here.
    exclude = ["mental_health_history", "merged_into", "merged_at"]


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
