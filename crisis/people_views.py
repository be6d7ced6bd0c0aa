"""Pages to find people and, for supervisors, to merge duplicates: thin edges over crisis.people."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import permissions
from .errors import DomainError
from .models import Person, PersonMerge
from .people import duplicate_ids, person_merge, person_search, possible_duplicates


class SearchForm(forms.Form):
    name = forms.CharField(max_length=160, required=False, label="Name or alias")
    date_of_birth = forms.DateField(
        required=False, label="Date of birth", widget=forms.DateInput(attrs={"type": "date"})
    )
    phone = forms.CharField(max_length=32, required=False, label="Phone", widget=forms.TextInput(attrs={"type": "tel"}))


class MergeForm(forms.Form):
    keep = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    merge = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=500, label="Why these are the same person", widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


def _require(predicate, user, message: str) -> None:
    if not predicate.test(user):
        raise PermissionDenied(message)


@require_GET
def search(request):
    _require(permissions.may_search_people, request.user, "Your role does not search people.")
    form = SearchForm(request.GET or None)
    results = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                results = person_search(by=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        if not form.is_valid():
            status = 400
    ctx = {
        "form": form,
        "results": results,
        "flagged": duplicate_ids(results) if results else set(),
        "can_open": request.user.has_perm("crisis.view_person_record"),
        "can_merge": permissions.may_merge_people.test(request.user),
    }
    return render(request, "people/search.html", ctx, status=status)


@require_GET
def duplicates(request):
    _require(permissions.may_merge_people, request.user, "Only a supervisor merges people.")
    pairs = possible_duplicates(by=request.user)
    ctx = {"pairs": pairs, "form": MergeForm()}
    # The note after a merge is read back from the merge itself, so a crafted link cannot make one up.
    merged = request.GET.get("merged", "")
    if merged.isdigit() and len(merged) < 12:
        ctx["done"] = PersonMerge.objects.filter(merged_id=int(merged)).first()
    return render(request, "people/duplicates.html", ctx)


@require_POST
def merge(request):
    _require(permissions.may_merge_people, request.user, "Only a supervisor merges people.")
    form = MergeForm(request.POST)
    status = 400
    if form.is_valid():
        keep = get_object_or_404(Person, pk=form.cleaned_data["keep"])
        other = get_object_or_404(Person, pk=form.cleaned_data["merge"])
        try:
            person_merge(keep=keep, merge=other, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
            status = exc.status_code
        else:
            return redirect(reverse("people-duplicates") + f"?merged={other.pk}")
    pairs = possible_duplicates(by=request.user)
    return render(request, "people/duplicates.html", {"pairs": pairs, "form": form, "failed": True}, status=status)
