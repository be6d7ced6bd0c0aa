"""The on-call rota is edited here (supervisors, administrators), audited per change; consults are read-only."""

from django.contrib import admin

from crisis import audit
from crisis.admin import AuditedReadAdmin
from crisis.models import User
from programs.models import Program

from .models import KIND, Consult, OnCallShift


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "ends_at", "clinician", "backup", "program"]
    list_filter = ["program"]
    date_hierarchy = "starts_at"

    def get_actions(self, request):
        # The bulk delete would skip delete_model and its audit row.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("clinician", "backup"):
            kwargs["queryset"] = User.objects.filter(
                is_active=True, groups__permissions__codename="answer_consult"
            ).distinct()
        if db_field.name == "program":
            kwargs["queryset"] = Program.objects.filter(kind=KIND)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action="le_consult.shift.changed" if change else "le_consult.shift.added",
            obj=obj,
            clinician=obj.clinician_id,
            backup=obj.backup_id,
            starts_at=obj.starts_at.isoformat(),
            ends_at=obj.ends_at.isoformat(),
        )

    def delete_model(self, request, obj):
        audit.record(actor=request.user, action="le_consult.shift.removed", obj=obj, clinician=obj.clinician_id)
        super().delete_model(request, obj)


@admin.register(Consult)
class ConsultAdmin(AuditedReadAdmin):
    """Read-only: consults are written through le_consult.services."""

    read_action = "le_consult.consult.viewed"
    list_action = "le_consult.consults.viewed"  # as the consult screens' snapshot

    list_display = ["pk", "requested_at", "officer", "clinician", "assigned_to", "status", "outcome"]
    list_filter = ["status", "outcome", "need"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
