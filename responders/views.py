"""The interns page: an intern's term and supervision log, or a supervisor's interns' notes to sign off."""

from __future__ import annotations

from django import forms
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from crisis.errors import DomainError

from . import interns, selectors
from .models import InternTerm, SupervisionNote


class NoteForm(forms.Form):
    text = forms.CharField(
        label="New note for your supervisor", max_length=interns.NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class SignForm(forms.Form):
    comment = forms.CharField(label="Comment (optional)", max_length=interns.NOTE_MAX, required=False)


def _render(request, *, status=200, note_form=None, error=""):
    notes = selectors.supervision_notes_for(request.user)
    term = getattr(request.user, "intern_term", None)
    context = {
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
