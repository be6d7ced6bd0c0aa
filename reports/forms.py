"""The reports' filter form: the page, the CSV and the API all validate through it."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone

from dispatch.standards import configured_standards
from programs.models import Program
from responders.models import Team

from .filters import Filters
from .intervals import BREAKDOWNS

MAX_RANGE_DAYS = 3 * 366
# The reports reach a year or so around the range (repeat calls, the day after the end); dates near
# the ends of the calendar would overflow there, and no call is that old or that far ahead.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
MAX_PAGE = 100_000


class ReportFilterForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    program = forms.ModelChoiceField(Program.objects.all(), required=False, empty_label="All programs")
    team = forms.ModelChoiceField(Team.objects.all(), required=False, empty_label="All teams")
    by = forms.ChoiceField(
        label="Break down by",
        required=False,
        choices=[(k, label) for k, (label, _) in BREAKDOWNS.items()],
    )
    standard = forms.ChoiceField(label="Breaches of", required=False, choices=())
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, widget=forms.HiddenInput)

    DEFAULTS = {"by": "program", "standard": "arrival"}

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            # Show the defaults the report uses in the selects, not just their first option.
            data = data.copy()
            for key, value in self.DEFAULTS.items():
                if not data.get(key):
                    data[key] = value
        super().__init__(data, *args, **kwargs)
        self.fields["standard"].choices = [(s.key, s.label) for s in configured_standards()]
        self.fields["team"].queryset = Team.objects.select_related("program").order_by("name")

    def clean_start(self):
        return self._in_calendar(self.cleaned_data.get("start"))

    def clean_end(self):
        return self._in_calendar(self.cleaned_data.get("end"))

    def _in_calendar(self, value):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(f"Choose a date between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}.")
        return value

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or (end - timedelta(days=29))
        if "start" in self.errors or "end" in self.errors:
            return data
        if start > end:
            self.add_error("end", "The end date must be on or after the start date.")
        elif (end - start).days >= MAX_RANGE_DAYS:
            self.add_error("start", f"Choose a range of at most {MAX_RANGE_DAYS} days.")
        data["start"], data["end"] = start, end
        team, program = data.get("team"), data.get("program")
        if team is not None and program is not None and team.program_id != program.pk:
            self.add_error("team", "That team is not in the chosen program.")
        data["by"] = data.get("by") or "program"
        data["page"] = data.get("page") or 1
        return data

    def filters(self) -> Filters:
        d = self.cleaned_data
        return Filters(start=d["start"], end=d["end"], program=d.get("program"), team=d.get("team"))

    def options(self) -> dict:
        d = self.cleaned_data
        return {"by": d["by"], "standard": d.get("standard") or None, "page": d["page"]}
