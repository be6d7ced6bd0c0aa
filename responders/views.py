"""The interns page: an intern's term and supervision log, or a supervisor's interns' notes to sign off."""

from __future__ import annotations

import csv
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisis import audit, permissions
from crisis.errors import DomainError, add_to_form

from . import interns, selectors
from .models import InternHours, InternTerm, SupervisionNote


class NoteForm(forms.Form):
    text = forms.CharField(
        label="New note for your supervisor", max_length=interns.NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class HoursForm(forms.Form):
    on = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    # The limits are the service's (more than 0, at most 24 a day): one rule, said in its words.
    hours = forms.DecimalField(
        label="Hours", max_digits=5, decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.25", "min": "0.25", "inputmode": "decimal"}),
    )  # fmt: skip
    activity = forms.CharField(label="What you did", max_length=interns.ACTIVITY_MAX)


class SignForm(forms.Form):
    comment = forms.CharField(label="Comment (optional)", max_length=interns.NOTE_MAX, required=False)


def _render(request, *, status=200, note_form=None, hours_form=None, error=""):
    notes = selectors.supervision_notes_for(request.user)
    hours = selectors.intern_hours_for(request.user)
    term = getattr(request.user, "intern_term", None)
    context = {
        "hours": hours,
        "hours_form": hours_form or HoursForm(initial={"on": timezone.localdate()}),
        "hours_signed": selectors.hours_signed(term) if term is not None else None,
        "hours_pending": sum((h.hours for h in hours if h.signed_at is None), 0) if term is not None else None,
        "can_see_turnover": permissions.may_view_intern_turnover.test(request.user),
        "term": term,
        "notes": notes,
        "note_form": note_form or NoteForm(),
        "sign_form": SignForm(),
        "supervised": InternTerm.objects.filter(supervisor=request.user, ended_at__isnull=True).select_related("user")
        if term is None
        else [],
        "error": error,
        "turnover": selectors.intern_terms_for_staffing()
        if term is None and request.user.has_perm("responders.view_internterm")
        else None,
        "today": timezone.localdate(),
    }
    return render(request, "responders/interns.html", context, status=status)


@require_http_methods(["GET", "POST"])
def interns_page(request):
    selectors.require_supervision_log(request.user)
    if request.method == "GET":
        return _render(request)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render(request, status=400, note_form=form)
    try:
        interns.supervision_note_add(by=request.user, text=form.cleaned_data["text"])
    except DomainError as exc:
        return _render(request, status=exc.status_code, note_form=form, error=exc.message)
    return redirect("interns")


@require_POST
def note_sign(request, pk: int):
    selectors.require_supervision_log(request.user)
    note = get_object_or_404(SupervisionNote.objects.select_related("term"), pk=pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        return _render(request, status=400, error="The comment is too long.")
    try:
        interns.supervision_note_sign(note=note, by=request.user, comment=form.cleaned_data["comment"])
    except DomainError as exc:
        return _render(request, status=exc.status_code, error=exc.message)
    return redirect("interns")


@require_POST
def hours_log(request):
    selectors.require_supervision_log(request.user)
    form = HoursForm(request.POST)
    if not form.is_valid():
        return _render(request, status=400, hours_form=form)
    try:
        interns.intern_hours_log(by=request.user, **form.cleaned_data)
    except DomainError as exc:
        add_to_form(form, exc)
        return _render(request, status=exc.status_code, hours_form=form)
    messages.success(request, "Hours logged: they count once your supervisor signs them off.")
    return redirect("interns")


@require_POST
def hours_sign(request, pk: int):
    selectors.require_supervision_log(request.user)
    entry = get_object_or_404(InternHours.objects.select_related("term"), pk=pk)
    try:
        interns.intern_hours_sign(entry=entry, by=request.user)
    except DomainError as exc:
        return _render(request, status=exc.status_code, error=exc.message)
    return redirect("interns")


# --- Turnover, for program managers ------------------------------------------------------------------------


class TurnoverForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"] - timedelta(days=364)
        if data["start"] > data["end"]:
            raise forms.ValidationError("The range ends before it starts.")
        if (data["end"] - data["start"]).days > 366 * 5:
            raise forms.ValidationError("Choose at most five years.")
        return data


class EndEarlyForm(forms.Form):
    reason = forms.CharField(label="Why access ends now", max_length=interns.END_REASON_MAX)


def _turnover_form(request) -> TurnoverForm:
    # The range shown in the inputs even when none was chosen: the last year, to today.
    data = request.GET.copy()
    end = timezone.localdate()
    data.setdefault("end", end.isoformat())
    data.setdefault("start", (end - timedelta(days=364)).isoformat())
    return TurnoverForm(data)


def _require_turnover(user) -> None:
    if not permissions.may_view_intern_turnover.test(user):
        raise PermissionDenied("Intern turnover is for program managers.")


def _turnover(request, *, status=200, end_form=None, end_term=None):
    form = _turnover_form(request)
    if not form.is_valid():
        return None, render(request, "responders/turnover.html", {"form": form}, status=400)
    data = selectors.intern_turnover(start=form.cleaned_data["start"], end=form.cleaned_data["end"])
    audit.record(
        actor=request.user,
        action="responders.intern_turnover.viewed",
        terms=[r.term.pk for r in data.terms],
        start=str(data.start),
        end=str(data.end),
    )
    context = {
        "form": form,
        "t": data,
        "end_form": end_form,
        "end_term": end_term,
        "may_end": permissions.may_manage_intern_terms.test(request.user),
        "query": request.GET.urlencode(),
    }
    return data, render(request, "responders/turnover.html", context, status=status)


@require_GET
def turnover(request):
    _require_turnover(request.user)
    return _turnover(request)[1]


CSV_HEADER = [
    "Intern", "University", "Supervisor", "Starts", "Ends", "State", "Access ended", "End reason", "Tenure (days)",
    "Hours signed off", "Hours required", "Hours waiting for sign-off", "Notes waiting for sign-off",
]  # fmt: skip


@require_GET
def turnover_csv(request):
    _require_turnover(request.user)
    form = _turnover_form(request)
    if not form.is_valid():
        body = "; ".join(" ".join(v) for v in form.errors.values())
        return HttpResponse(body, status=400, content_type="text/plain; charset=utf-8")
    data = selectors.intern_turnover(start=form.cleaned_data["start"], end=form.cleaned_data["end"])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="intern-turnover-{data.start}-{data.end}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for r in data.terms:
        t = r.term
        writer.writerow([
            t.user.get_full_name() or t.user.get_username(), t.university,
            t.supervisor.get_full_name() or t.supervisor.get_username(), t.starts_on, t.ends_on, r.state,
            timezone.localtime(t.ended_at).strftime("%Y-%m-%d %H:%M") if t.ended_at else "", t.end_reason,
            r.tenure_days, r.hours_signed, t.required_hours, r.hours_pending, r.notes_pending,
        ])  # fmt: skip
    audit.record(
        actor=request.user,
        action="responders.intern_turnover.exported",
        terms=[r.term.pk for r in data.terms],
        start=str(data.start),
        end=str(data.end),
    )
    return response


@require_POST
def term_end_early(request, pk: int):
    _require_turnover(request.user)
    term = get_object_or_404(InternTerm.objects.select_related("user"), pk=pk)
    form = EndEarlyForm(request.POST)
    if form.is_valid():
        try:
            interns.intern_term_end_early(term=term, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_to_form(form, exc)
    if form.errors:
        return _turnover(request, status=400 if "reason" in form.errors else 409, end_form=form, end_term=term)[1]
    name = term.user.get_full_name() or term.user.get_username()
    messages.success(request, f"{name}'s access has ended.")
    return redirect("interns-turnover")
