from django import forms

from .models import FollowUp
from .services import NEXT_STEP_MAX, NOTE_MAX


class RecordForm(forms.Form):
    reached = forms.TypedChoiceField(
        label="Did you reach the person?",
        choices=[("yes", "Reached"), ("no", "Not reached")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(label="How", choices=FollowUp.Method.choices, widget=forms.RadioSelect, initial="phone")
    note = forms.CharField(label="Note", required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(
        label="Next step",
        required=False,
        max_length=NEXT_STEP_MAX,
        help_text="E.g. referred to outpatient, second visit Friday, none needed.",
    )
