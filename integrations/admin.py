"""Administrators register partners' systems and their webhook endpoints, read the delivery log and replay.

Every write goes through integrations.services / integrations.webhooks (audited). A partner's token and secret
are shown once, in the message after it is created or its credentials are rotated, and never again.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from crisis.admin import AuditedReadAdmin
from crisis.errors import DomainError

from . import services, webhooks
from .models import Delivery, Event, PartnerSystem, WebhookEndpoint


def _show_once(request, partner, credentials) -> None:
    messages.warning(
        request,
        f"{partner.name}: API token {credentials.token} · webhook signing secret {credentials.secret} — "
        "copy both now and hand them to the partner: they are not shown again.",
    )


@admin.register(PartnerSystem)
class PartnerSystemAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "purpose", "created_at"]
    list_filter = ["active"]
    search_fields = ["name"]
    fields = ["name", "purpose", "directory_partner", "active"]
    actions = ["rotate_credentials"]

    def get_readonly_fields(self, request, obj=None):
        return ["name"] if obj else []

    def save_model(self, request, obj, form, change):
        try:
            if not change:
                partner, credentials = services.partner_create(
                    name=obj.name, purpose=obj.purpose, directory_partner=obj.directory_partner, by=request.user
                )
                obj.pk, obj.user_id, obj.secret, obj._state = (
                    partner.pk,
                    partner.user_id,
                    partner.secret,
                    partner._state,
                )
                _show_once(request, partner, credentials)
                return
            if "active" in form.changed_data:
                services.partner_set_active(partner=obj, active=obj.active, by=request.user)
            if {"purpose", "directory_partner"} & set(form.changed_data):
                services.partner_update(
                    partner=obj, purpose=obj.purpose, directory_partner=obj.directory_partner, by=request.user
                )
        except DomainError as exc:
            raise PermissionDenied(exc.message) from exc

    @admin.action(
        description="Issue a new API token and signing secret (the old ones stop working)", permissions=["change"]
    )
    def rotate_credentials(self, request, queryset):
        for partner in queryset:
            _show_once(request, partner, services.partner_rotate_credentials(partner=partner, by=request.user))

    def has_delete_permission(self, request, obj=None):
        return False  # deliveries and imported incidents point at partners: untick "active" instead


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where we POST: the partner's receiver or FHIR base.",
    )
    events = forms.MultipleChoiceField(choices=Event.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["partner", "url", "events", "payload_format", "active"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.endpoint_check(
                url=data.get("url", ""), events=data.get("events") or [], payload_format=data.get("payload_format", "")
            )
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["partner", "url", "payload_format", "events", "active"]
    list_filter = ["active", "payload_format", "partner"]

    def save_model(self, request, obj, form, change):
        saved = services.endpoint_save(
            partner=form.cleaned_data["partner"],
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            payload_format=form.cleaned_data["payload_format"],
            active=form.cleaned_data["active"],
            by=request.user,
            endpoint=obj if change else None,
        )
        obj.pk, obj._state = saved.pk, saved._state

    def has_delete_permission(self, request, obj=None):
        return False  # the delivery log points at endpoints: untick "active" instead


@admin.register(Delivery)
class DeliveryAdmin(AuditedReadAdmin):
    """The delivery log: read-only; a delivered or failed one may be replayed (a new row, sent in order)."""

    # A delivery's page shows its payload: the call or the person sent to the partner.
    read_action = "integrations.delivery.viewed"
    list_action = "integrations.deliveries.listed"

    list_display = ["id", "created_at", "partner", "event", "status", "attempts", "last_error"]
    list_filter = ["status", "event", "endpoint__partner"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["replay"]
    list_select_related = ["endpoint__partner"]

    @admin.display(description="Partner", ordering="endpoint__partner__name")
    def partner(self, obj):
        return obj.endpoint.partner.name

    @admin.action(description="Replay the selected deliveries (sent again, at the end of their endpoint's queue)")
    def replay(self, request, queryset):
        done = 0
        for delivery in queryset.order_by("id"):
            try:
                webhooks.delivery_replay(delivery=delivery, by=request.user)
                done += 1
            except DomainError as exc:
                messages.error(request, f"Delivery #{delivery.pk}: {exc.message}")
        if done:
            messages.success(request, f"{done} deliver{'y' if done == 1 else 'ies'} queued again.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
