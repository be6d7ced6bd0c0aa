from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from crisis import languages
from crisis.models import Person
from responders.models import Team

from . import triage
from .models import Call, Disposition, Status, Tier, Triage


def clean_position(form, data) -> None:
    """Both coordinates or neither, each on Earth: one rule for every form that takes a position."""
    if (data.get("latitude") is None) != (data.get("longitude") is None):
        form.add_error("longitude", "Give both latitude and longitude, or neither.")
    for name, bound in (("latitude", 90), ("longitude", 180)):
        value = data.get(name)
        if value is not None and not -bound <= value <= bound:
            form.add_error(name, f"Must be between -{bound} and {bound}.")


ADDRESS_HELP = "Type the number and street and pick a match (↑ ↓ Enter), or click the map. Optional on a 988 call."


class IntakeForm(forms.ModelForm):
    person = forms.ModelChoiceField(
        queryset=Person.objects.order_by("last_name", "first_name"),
        required=False,
        help_text="Leave empty if the person is unknown, and describe them.",
    )
    # Chosen by name, stored as the ISO code; empty takes the linked person's preferred language (call_create).
    language = forms.ChoiceField(
        choices=lambda: [("", "Person's language, else English")] + list(languages.choices()),
        required=False,
        help_text="Type the first letters of the name to jump to it.",
    )

    class Meta:
        model = Call
        # The tab order of the desk: what every call needs first (callback, where, who, what), then what some
        # calls add; the position fields come after, since picking an address fills them.
        fields = [
            "source",
            "callback_number",
            "address",
            "person_description",
            "call_type",
            "nature",
            "caller_name",
            "person",
            "language",
            "location_type",
            "area_type",
            "narrative",
            "latitude",
            "longitude",
            "answered_at",
        ]
        widgets = {
            # Set when the page was opened (the dispatcher picked up the phone to take this call): the answer
            # time the desk knows without a phone system (dispatch/telephony.py).
            "answered_at": forms.HiddenInput(),
            "narrative": forms.Textarea(attrs={"rows": 4}),
            "person_description": forms.Textarea(attrs={"rows": 2}),
            "area_type": forms.Select(choices=[("urban", "Urban"), ("rural", "Rural")]),
            "address": forms.TextInput(attrs={"data-place-address": "", "placeholder": "e.g. 1200 W Lake St"}),
        }
        help_texts = {"address": ADDRESS_HELP}

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
        clean_position(self, data)
        if not data.get("person") and not (data.get("person_description") or "").strip():
            self.add_error("person_description", "Choose a known person or describe the person.")
        return data


class OfficerRequestForm(forms.ModelForm):
    class Meta:
        model = Call
        # Where first: under the position line, so a missing position and the address to type are seen together.
        fields = [
            "address",
            "latitude",
            "longitude",
            "callback_number",
            "person_description",
            "location_type",
            "call_type",
            "nature",
            "narrative",
        ]
        # The officer's position comes from the browser (static/js/here.js); the address is typed or filled in
        # from it, in words.
        widgets = {
            "narrative": forms.Textarea(attrs={"rows": 3}),
            "person_description": forms.Textarea(attrs={"rows": 2}),
            "latitude": forms.HiddenInput(),
            "longitude": forms.HiddenInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An officer is somewhere: the address is filled in from the position, or typed when there is none.
        self.fields["address"].required = True
        self.fields["address"].error_messages["required"] = "Type the address where you are (or allow your location)."

    def clean(self):
        data = super().clean()
        clean_position(self, data)
        return data

    def clean_person_description(self):
        value = self.cleaned_data.get("person_description", "").strip()
        if not value:
            raise forms.ValidationError("Describe the person the request is about.")
        return value


class AskedSelect(forms.NullBooleanSelect):
    """Yes / No / not asked: a question left at "—" stays unanswered (None), never "no". Keyboard: y, n."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", "—"), ("true", "Yes"), ("false", "No")]


# The screen as the desk asks it: what can kill someone in the next minutes first, then the Columbia items,
# then what else the team must know. (legend, field names); rendered as columns on one screen at 1440×900.
# Within a group, the question asked first on most calls comes first (at the means now, then the means; who is
# calling), so the group's shortcut key lands on it (static/js/intake.js).
SCREEN_GROUPS = (
    ("Danger now", ("imminent_danger", "lethal_means", "assault_in_progress", "weapons", "violence", "medical",
                    "overdose_risk")),
    ("Suicide risk (Columbia)", ("si_wish_dead", "si_thoughts", "si_method", "si_intent", "si_plan", "si_behavior")),
    ("Clinical", ("self_harm", "psychosis", "agitation", "intoxication", "medical_need", "protective_factors")),
    ("Scene, person and caller", ("caller_relation", "age", "person_reachable", "person_is_minor", "police_on_scene",
                                  "children_present", "phone_engaged")),
)  # fmt: skip
# The intake page's keys for the groups (Alt+letter; Alt+digits switch browser tabs on Linux and Windows).
SCREEN_KEYS = ("R", "S", "C", "W")


class TriageForm(forms.ModelForm):
    tier_override = forms.ChoiceField(choices=[("", "Use the computed tier")] + list(Tier.choices), required=False)
    override_reason = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"placeholder": "Why, if overriding"})
    )

    class Meta:
        model = Triage
        fields = list(triage.SCREEN_FIELDS + triage.OPEN_QUESTIONS + triage.FACT_FIELDS)
        widgets = {name: AskedSelect for name in triage.OPEN_QUESTIONS} | {
            "age": forms.NumberInput(attrs={"min": 0, "max": 120, "inputmode": "numeric", "class": "age"})
        }

    def groups(self):
        """(legend, key, [bound fields]) in the order the desk asks them."""
        return [
            (legend, key, [self[name] for name in names])
            for (legend, names), key in zip(SCREEN_GROUPS, SCREEN_KEYS, strict=True)
        ]

    def answered(self) -> bool:
        """Whether the dispatcher asked anything (valid form): an untouched screen on the intake page means "not
        screened yet" (the call is created and triaged on its page), never a screen of all no."""
        data = self.cleaned_data
        return (
            any(data.get(name) for name in triage.SCREEN_FIELDS)
            or any(data.get(name) is not None for name in triage.OPEN_QUESTIONS)
            or data.get("age") is not None
            or bool(data.get("caller_relation"))
            or bool(data.get("tier_override"))
        )

    def screen(self) -> dict:
        """The screen for call_triage: ticked/unticked yes-no items, open questions as yes/no/None, the facts."""
        data = self.cleaned_data
        return (
            {name: bool(data.get(name)) for name in triage.SCREEN_FIELDS}
            | {name: data.get(name) for name in triage.OPEN_QUESTIONS}
            | {"age": data.get("age"), "caller_relation": data.get("caller_relation") or ""}
        )

    def clean(self):
        data = super().clean()
        if data.get("tier_override") and not (data.get("override_reason") or "").strip():
            self.add_error("override_reason", "Give a reason for overriding the tier.")
        return data


class NeedsForm(forms.Form):
    """What the call needs, as chips: the screen's inference ticked, the dispatcher ticks or unticks."""

    needs = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["needs"].choices = list(choices)


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
