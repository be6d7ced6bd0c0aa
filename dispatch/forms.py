from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from crisis.models import Person
from responders.models import Team

from . import triage
from .models import Call, Disposition, Status, Tier, Triage


class IntakeForm(forms.ModelForm):
    person = forms.ModelChoiceField(
        queryset=Person.objects.order_by("last_name", "first_name"),
        required=False,
        help_text="Leave empty if the person is unknown, and describe them.",
    )

    class Meta:
        model = Call
        fields = [
            "source",
            "caller_name",
            "callback_number",
            "person",
            "person_description",
            "address",
            "latitude",
            "longitude",
            "location_type",
            "area_type",
            "call_type",
            "nature",
            "narrative",
            "language",
            "answered_at",
        ]
        widgets = {
            # Set when the page was opened (the dispatcher picked up the phone to take this call): the answer
            # time the desk knows without a phone system (dispatch/telephony.py).
            "answered_at": forms.HiddenInput(),
            "narrative": forms.Textarea(attrs={"rows": 4}),
            "person_description": forms.Textarea(attrs={"rows": 2}),
            "area_type": forms.Select(choices=[("urban", "Urban"), ("rural", "Rural")]),
        }

    def clean_answered_at(self):
        # A hidden field the dispatcher cannot correct: a page left open for half a shift (or a tampered value)
        # records no answer time rather than a wrong one or an error nobody can see.
        value = self.cleaned_data.get("answered_at")
        now = timezone.now()
        if value is None or not now - timedelta(hours=12) <= value <= now + timedelta(minutes=2):
            return None
        return value

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", "Give both latitude and longitude, or neither.")
        for name, bound in (("latitude", 90), ("longitude", 180)):
            value = data.get(name)
            if value is not None and not -bound <= value <= bound:
                self.add_error(name, f"Must be between -{bound} and {bound}.")
        if not data.get("person") and not (data.get("person_description") or "").strip():
            self.add_error("person_description", "Choose a known person or describe the person.")
        return data


class OfficerRequestForm(forms.ModelForm):
    class Meta:
        model = Call
        fields = [
            "callback_number",
            "person_description",
            "address",
            "location_type",
            "call_type",
            "nature",
            "narrative",
        ]
        widgets = {"narrative": forms.Textarea(attrs={"rows": 3})}

    def clean_person_description(self):
        value = self.cleaned_data.get("person_description", "").strip()
        if not value:
            raise forms.ValidationError("Describe the person the request is about.")
        return value


class TriageForm(forms.ModelForm):
    tier_override = forms.ChoiceField(choices=[("", "Use the computed tier")] + list(Tier.choices), required=False)
    override_reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = Triage
        fields = list(triage.SCREEN_FIELDS)

    def clean(self):
        data = super().clean()
        if data.get("tier_override") and not (data.get("override_reason") or "").strip():
            self.add_error("override_reason", "Give a reason for overriding the tier.")
        return data


class CloseForm(forms.Form):
    disposition = forms.ChoiceField(choices=[("", "Choose…")] + list(Disposition.choices))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # Shown after the service refused because a police/EMS unit is still on scene (NeedsConfirmation).
    confirm_units = forms.BooleanField(required=False, label="Close anyway: the unit on scene is cleared with the call")


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=200)


class AssignForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.select_related("program").order_by("name"))
    reason = forms.CharField(max_length=200)
    # Shown after the service refused a team that lacks what the call needs (NeedsConfirmation).
    confirm_gaps = forms.BooleanField(required=False, label="Assign anyway: I have noted why in the reason")


class CallSearchForm(forms.Form):
    """The desk's call search (page and API): every field optional, at least one given; dates are local days."""

    number = forms.IntegerField(required=False, min_value=1, max_value=2_147_483_647, label="Call #")
    address = forms.CharField(required=False, max_length=255)
    callback = forms.CharField(required=False, max_length=32, label="Callback number")
    name = forms.CharField(required=False, max_length=120, label="Caller or person name")
    since = forms.DateField(required=False, label="From (date)", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To (date)", widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(required=False, choices=[("", "Any status")] + list(Status.choices))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not any(data.get(k) for k in self.fields):
            raise forms.ValidationError("Give at least one thing to search by.")
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        return data

    def criteria(self) -> dict:
        """The selector's keyword arguments: whole local days, `until` inclusive."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        day = lambda d: datetime.combine(d, time.min, tzinfo=tz)  # noqa: E731
        return {
            "number": data.get("number"),
            "address": data.get("address") or "",
            "callback": data.get("callback") or "",
            "name": data.get("name") or "",
            "since": day(data["since"]) if data.get("since") else None,
            "until": day(data["until"] + timedelta(days=1)) if data.get("until") else None,
            "status": data.get("status") or "",
        }


class ClosedCallsForm(forms.Form):
    """The closed-calls list's filters: all optional; dates are the local days the call ended."""

    since = forms.DateField(required=False, label="Ended from", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="Ended to", widget=forms.DateInput(attrs={"type": "date"}))
    disposition = forms.ChoiceField(
        required=False, choices=[("", "Any disposition"), ("cancelled", "Cancelled")] + list(Disposition.choices)
    )
    team = forms.ModelChoiceField(required=False, queryset=Team.objects.order_by("name"), empty_label="Any team")

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        return data

    def criteria(self) -> dict:
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        day = lambda d: datetime.combine(d, time.min, tzinfo=tz)  # noqa: E731
        return {
            "since": day(data["since"]) if data.get("since") else None,
            "until": day(data["until"] + timedelta(days=1)) if data.get("until") else None,
            "disposition": data.get("disposition") or "",
            "team_id": data["team"].pk if data.get("team") else None,
        }
