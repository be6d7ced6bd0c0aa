from datetime import timedelta

from django import forms
from django.utils import timezone

from .models import ContactMethod, Outcome
from .services import NOTE_MAX

DB_ID = {"min_value": 1, "max_value": 2**63 - 1}
LOCAL_DT = forms.DateTimeInput(attrs={"type": "datetime-local"})


def _tomorrow():
    return (timezone.localtime() + timedelta(days=1)).replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")


class OpenForm(forms.Form):
    person = forms.IntegerField(label="Person number", help_text="From the person's page (/people/<number>/).", **DB_ID)
    team = forms.ModelChoiceField(label="Team", queryset=None, empty_label=None)
    owner = forms.ModelChoiceField(label="Owner (case manager)", queryset=None, empty_label=None)
    goals = forms.CharField(label="Goals", max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    planned_end_on = forms.DateField(
        label="Planned end",
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=lambda: timezone.localdate() + timedelta(days=14),
    )
    due_at = forms.DateTimeField(label="First contact due", widget=LOCAL_DT, initial=_tomorrow)

    def __init__(self, *args, teams, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["owner"].queryset = members
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class ContactForm(forms.Form):
    method = forms.ChoiceField(label="How", choices=ContactMethod.choices)
    reached = forms.TypedChoiceField(
        label="Reached the person?",
        choices=[("yes", "Reached"), ("no", "Not reached")],
        coerce=lambda v: v == "yes",
        initial="yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Note", required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    next_due_at = forms.DateTimeField(label="Next contact due", widget=LOCAL_DT, initial=_tomorrow)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("", "Choose…"), *Outcome.choices],
        error_messages={"required": "Say how the episode ended."},
    )
    note = forms.CharField(label="Note", required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}))
