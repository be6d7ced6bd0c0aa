from django import forms

from .living import LivingSituation
from .models import HousingReferral, OutreachContact


class ContactForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, empty_label=None, label="Team")
    living_situation = forms.TypedChoiceField(
        choices=[("", "— where are they living now? —"), *LivingSituation.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label="Living situation now",
    )
    outcome = forms.ChoiceField(choices=OutreachContact.Outcome.choices, label="What came of it")
    housing_partner = forms.CharField(max_length=120, required=False, label="Housing partner")
    housing_referral_status = forms.ChoiceField(
        choices=[("", "— no housing referral —"), *HousingReferral.choices], required=False, label="Housing referral"
    )
    note = forms.CharField(max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
