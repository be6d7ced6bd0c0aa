from django import forms

from . import services
from .models import ConsentScope


class PurposeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", services.PURPOSE_MAX)
        kwargs.setdefault("help_text", "Why you need this now, e.g. “Officer consult #12: man on a bridge”. Audited.")
        super().__init__(**kwargs)


class SearchForm(forms.Form):
    name = forms.CharField(max_length=160, required=False, label="Name")
    date_of_birth = forms.DateField(
        required=False, label="Date of birth", widget=forms.DateInput(attrs={"type": "date"})
    )
    purpose = PurposeField(label="Purpose")


class ViewForm(forms.Form):
    purpose = PurposeField(label="Purpose")


class BreakGlassForm(forms.Form):
    purpose = PurposeField(label="Purpose")
    reason = forms.CharField(
        max_length=services.REASON_MAX,
        label="Reason to break the glass",
        help_text="Supervisors are alerted at once; the reason is kept in the audit trail.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResponsePlanForm(forms.Form):
    purpose = PurposeField(label="Purpose", required=False)
    triggers = forms.CharField(max_length=services.TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    what_helps = forms.CharField(
        max_length=services.TEXT_MAX, required=False, label="What helps", widget=forms.Textarea(attrs={"rows": 3})
    )
    who_to_call = forms.CharField(
        max_length=services.TEXT_MAX, required=False, label="Who to call", widget=forms.Textarea(attrs={"rows": 2})
    )
    officer_view = forms.BooleanField(required=False, label="Officers on a consult may see this plan")


class ConsentForm(forms.Form):
    purpose = PurposeField(label="Purpose", required=False, widget=forms.HiddenInput)
    scope = forms.ChoiceField(label="Consent to", choices=ConsentScope.choices)
    granted_on = forms.DateField(label="Signed on", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        help_text="Leave empty if it does not expire.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    document = forms.CharField(
        label="Where the signed form is kept",
        max_length=200,
        required=False,
        help_text="e.g. scanned to the EHR, binder B",
    )


class ConsentRevokeForm(forms.Form):
    purpose = PurposeField(label="Purpose", required=False, widget=forms.HiddenInput)
