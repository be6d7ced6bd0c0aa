from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from programs.community_responders.models import Partner

from .living import LivingSituation
from .models import HousingReferral, Offer, OutreachContact, Place, SharingScope


class ContactForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, empty_label=None, label="Team")
    place = forms.ChoiceField(choices=[("", "— where did you meet? —"), *Place.choices], required=False, label="Where")
    area = forms.CharField(max_length=120, required=False, label="General area", help_text="E.g. Union Park.")
    exact_location = forms.CharField(
        max_length=200, required=False, label="Exact spot", help_text="Shared only as the person's consent allows."
    )
    offered = forms.MultipleChoiceField(
        choices=Offer.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Offered"
    )
    accepted = forms.MultipleChoiceField(
        choices=Offer.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Accepted"
    )
    living_situation = forms.TypedChoiceField(
        choices=[("", "— where are they living now? —"), *LivingSituation.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label="Living situation now",
    )
    outcome = forms.ChoiceField(choices=OutreachContact.Outcome.choices, label="What came of it")
    housing_partner = forms.CharField(
        max_length=120,
        required=False,
        label="Housing partner",
        widget=forms.TextInput(attrs={"list": "partner-directory"}),
    )
    housing_referral_status = forms.ChoiceField(
        choices=[("", "— no housing referral —"), *HousingReferral.choices], required=False, label="Housing referral"
    )
    note = forms.CharField(max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is None:  # a partner agency's user records for their agency, not a team
            del self.fields["team"]
        else:
            self.fields["team"].queryset = teams


def _in_a_year():
    return (timezone.localdate() + timedelta(days=365)).isoformat()


class ConsentForm(forms.Form):
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.filter(active=True), empty_label="— which partner agency? —", label="Share with"
    )
    scope = forms.ChoiceField(choices=SharingScope.choices, label="What they may see")
    expires_on = forms.DateField(
        label="Until", widget=forms.DateInput(attrs={"type": "date"}), help_text="At most a year from today."
    )
    document = forms.CharField(max_length=200, required=False, label="Signed form kept at")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"expires_on": _in_a_year()})
        super().__init__(*args, **kwargs)

    def expires_at(self):
        day = self.cleaned_data["expires_on"]
        # Through the whole of the last day, local time.
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
