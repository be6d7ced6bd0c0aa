from django import forms
from django.utils import timezone

from .models import ContactMethod, DischargeReason, GoalStatus, JusticeInvolvement, OutcomeKind
from .services import COUNT_MAX, GOAL_MAX, NOTE_MAX, PLAN_MAX

DATE = forms.DateInput(attrs={"type": "date"})
DB_ID = {"min_value": 1, "max_value": 2**63 - 1}


def _count(label: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=COUNT_MAX, initial=0)


class EnrollForm(forms.Form):
    person = forms.IntegerField(label="Person number", help_text="From the person's page (/people/<number>/).", **DB_ID)
    team = forms.ModelChoiceField(label="FACT team", queryset=None, empty_label=None)
    serious_mental_illness = forms.BooleanField(
        label="Has a serious mental illness (confirmed diagnosis)",
        required=True,
        error_messages={"required": "FACT serves people with a serious mental illness: confirm it."},
    )
    diagnosis = forms.CharField(label="Qualifying diagnosis", max_length=200, required=False)
    justice_involvement = forms.ChoiceField(
        label="Justice involvement",
        choices=[("", "Choose…"), *JusticeInvolvement.choices],
        error_messages={"required": "Say how the person is involved with the justice system."},
    )
    eligibility_note = forms.CharField(
        label="Eligibility note", required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    arrests_before = _count("Arrests in the 12 months before")
    jail_days_before = _count("Days in jail in the 12 months before")
    hospital_days_before = _count("Days in hospital in the 12 months before")
    crisis_plan = forms.CharField(
        label="Crisis plan (shown to the team's phone on a call)",
        required=False,
        max_length=PLAN_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What helps, what to avoid, who to call. Not the whole chart.",
    )
    enrolled_on = forms.DateField(label="Enrolled on", widget=DATE, initial=timezone.localdate)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class ContactForm(forms.Form):
    method = forms.ChoiceField(label="How", choices=ContactMethod.choices, initial=ContactMethod.VISIT)
    reached = forms.TypedChoiceField(
        label="Reached the client?",
        choices=[("yes", "Reached"), ("no", "Not reached")],
        coerce=lambda v: v == "yes",
        initial="yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Note", required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class GoalForm(forms.Form):
    text = forms.CharField(label="Goal", max_length=GOAL_MAX)
    target_on = forms.DateField(label="Target date", required=False, widget=DATE)


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=GoalStatus.choices)


class OutcomeForm(forms.Form):
    kind = forms.ChoiceField(label="What happened", choices=OutcomeKind.choices)
    on = forms.DateField(label="Date", widget=DATE)
    days = forms.IntegerField(label="Days (jail or hospital)", min_value=0, max_value=COUNT_MAX, initial=0)
    note = forms.CharField(label="Note", required=False, max_length=300)


class PlanForm(forms.Form):
    crisis_plan = forms.CharField(
        label="Crisis plan", required=False, max_length=PLAN_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class DischargeForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose…"), *DischargeReason.choices],
        error_messages={"required": "Give the reason for the discharge."},
    )
    note = forms.CharField(label="Note", required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    discharged_on = forms.DateField(label="Discharged on", widget=DATE, initial=timezone.localdate)


class OnCallForm(forms.Form):
    member = forms.ModelChoiceField(label="Who", queryset=None, empty_label=None)
    starts_at = forms.DateTimeField(label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
