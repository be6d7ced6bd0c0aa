"""Staffing without a shell: a supervisor creates teams and adds, moves or deactivates members here.

A team's live state (status, position, SOS) is written only by dispatch.team_state, so it is read-only
here; changing who is on a team is the roster's own business and is audited.
"""

from django.contrib import admin

from crisis import audit

from .models import SosAlert, Team, TeamMember

LIVE_STATE = ["status", "status_changed_at", "latitude", "longitude", "location_reported_at", "version"]


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 1
    fields = ["user", "credential", "languages", "specialties", "supervisor", "active"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "region", "status", "status_changed_at"]
    list_filter = ["program", "region", "status"]
    search_fields = ["name"]
    readonly_fields = LIVE_STATE
    inlines = [TeamMemberInline]

    def save_formset(self, request, form, formset, change):
        # Every change of who is on a team is audited: it decides who may act for the team.
        instances = formset.save(commit=False)
        for member in instances:
            created = member.pk is None
            member.save()
            audit.record(
                actor=request.user,
                action="responders.member.added" if created else "responders.member.changed",
                obj=member,
                team=member.team_id,
                user=member.user_id,
                active=member.active,
            )
        for member in formset.deleted_objects:
            audit.record(
                actor=request.user,
                action="responders.member.removed",
                obj=member,
                team=member.team_id,
                user=member.user_id,
            )
            member.delete()
        formset.save_m2m()


@admin.register(SosAlert)
class SosAlertAdmin(admin.ModelAdmin):
    """Read-only: alerts are raised from the phone and acknowledged on the board."""

    list_display = ["raised_at", "team", "raised_by", "call", "acknowledged_at", "acknowledged_by"]
    list_filter = ["team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
