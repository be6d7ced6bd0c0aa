"""Staffing without a shell: a supervisor creates teams and adds, moves or deactivates members here.

A team's live state (status, position, SOS) is written only by dispatch.team_state, so it is read-only
here; changing who is on a team is the roster's own business and is audited.
"""

from django import forms
from django.contrib import admin

from crisis import audit, languages
from crisis.admin import AuditedReadAdmin

from . import interns
from .models import InternTerm, SosAlert, SupervisionNote, Team, TeamMember

LIVE_STATE = ["status", "status_changed_at", "latitude", "longitude", "location_reported_at", "version"]


class TeamMemberForm(forms.ModelForm):
    # Chosen by name from the one list (crisis/languages.py), stored as ISO codes: routing matches a call's
    # language code to these, so a free-typed "Spanish" or "sp" would never match.
    languages = forms.TypedMultipleChoiceField(
        choices=languages.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Ctrl-click to choose several.",
    )

    class Meta:
        model = TeamMember
        fields = ["user", "credential", "languages", "specialties", "supervisor", "active"]


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    form = TeamMemberForm
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
class SosAlertAdmin(AuditedReadAdmin):
    """Read-only: alerts are raised from the phone and acknowledged on the board."""

    # An SOS raised on scene carries the call and where the person in crisis is.
    read_action = "responders.sos_alert.viewed"
    list_action = "responders.sos_alerts.listed"

    list_display = ["raised_at", "team", "raised_by", "call", "acknowledged_at", "acknowledged_by"]
    list_filter = ["team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InternTerm)
class InternTermAdmin(admin.ModelAdmin):
    """Onboarding: a term is saved through responders.interns (audited); access ends with it by itself."""

    list_display = ["user", "university", "supervisor", "starts_on", "ends_on", "required_hours", "ended_at"]
    list_filter = ["university"]
    readonly_fields = ["ended_at", "end_reason"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = interns.intern_term_save(
            user=obj.user,
            university=obj.university,
            supervisor=obj.supervisor,
            starts_on=obj.starts_on,
            ends_on=obj.ends_on,
            required_hours=obj.required_hours,
            by=request.user,
        )
        obj.pk = saved.pk


@admin.register(SupervisionNote)
class SupervisionNoteAdmin(AuditedReadAdmin):
    """Read-only: interns write the log and supervisors sign it on the interns page."""

    # An intern's notes tell of the calls and people they worked with.
    read_action = "responders.supervision_note.viewed"
    list_action = "responders.supervision_log.viewed"  # as the interns page

    list_display = ["term", "at", "signed_by", "signed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
