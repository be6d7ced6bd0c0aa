from django import forms

from programs.community_responders.models import Partner

from . import services
from .models import Need


class DocumentForm(forms.Form):
    counselling_note = forms.CharField(
        label="Crisis counselling note",
        max_length=services.TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    needs = forms.MultipleChoiceField(
        label="Needs assessment", choices=Need.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    safety_plan = forms.CharField(
        label="Safety plan",
        max_length=services.TEXT_MAX,
        required=False,
        help_text="Warning signs, what the caller will do, who they will call.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReferForm(forms.Form):
    partner = forms.ModelChoiceField(queryset=Partner.objects.filter(active=True).order_by("name"), label="Partner")
    service = forms.CharField(max_length=120, label="Service", help_text="e.g. Psychiatry intake, shelter bed")


class EndForm(forms.Form):
    """The risk screen at the end of the call (checkboxes added from the call desk) and a note."""

    note = forms.CharField(
        max_length=services.TEXT_MAX, required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, screen_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in screen_fields:
            if name == "phone_engaged":  # the button says it: resolve (engaged) or send a team (not)
                continue
            self.fields[f"screen_{name}"] = forms.BooleanField(required=False, label=label)

    def screen(self) -> dict[str, bool]:
        return {k.removeprefix("screen_"): v for k, v in self.cleaned_data.items() if k.startswith("screen_")}
