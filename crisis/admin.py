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
    """An admin whose pages show a person's data or a call's clinical fields: each GET of its change page and of
    its list writes one audit row (HIPAA 164.312(b)). The list's row names the ids on the page and the search
    typed (a name search is itself a disclosure of who was looked for). tests/crisis/test_audit_completeness.py
    holds every registered model to this or to a reason it holds no person's data."""

    read_action = ""  # the change (or view-only) page of one object
    list_action = ""  # the change list

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

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if request.method == "GET" and response.status_code == 200 and changelist is not None:
            # The page's own queryset, evaluated here and cached for the template: no second query.
            shown = [obj.pk for obj in changelist.result_list]
            search = {"search": changelist.query} if changelist.query else {}
            audit.record(actor=request.user, action=self.list_action, via="admin", ids=shown, **search)
        return response


@admin.register(Person)
class PersonAdmin(AuditedReadAdmin):
    read_action = "people.person.viewed"  # the same fact as the person page (crisis/people.py)
    list_action = "people.persons.listed"
    # Mental-health history is read only through the consent-scoped lookup (crisis/history), never here.
    # A merge is made only by crisis.people.person_merge (it moves every reference and is audited), never here.
    exclude = ["mental_health_history", "merged_into", "merged_at"]


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditedReadAdmin):
    # The trail names who was searched for and why (terms, purposes, break-the-glass reasons): reviewing it
    # is a read like any other, and CJIS 5.4 wants the review of audit records itself accountable.
    read_action = "crisis.audit_entry.viewed"
    list_action = "crisis.audit_entries.listed"
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
