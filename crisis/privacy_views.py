"""The privacy officer's pages: find a person, then their accounting of disclosures and reads (crisis.privacy)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import audit, privacy
from .models import Person

PERM = "crisis.account_disclosures"
MAX_MATCHES = 50


class FindForm(forms.Form):
    name = forms.CharField(max_length=160, label="Name", required=True)


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("“From” must be on or before “To”.")
        return data


@require_GET
@permission_required(PERM, raise_exception=True)
def index(request):
    form = FindForm(request.GET or None)
    people = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            words = form.cleaned_data["name"].split()
            found = Person.objects.all()
            for word in words[:5]:
                found = found.filter(first_name__icontains=word) | found.filter(last_name__icontains=word)
            people = list(found.order_by("last_name", "first_name", "pk")[:MAX_MATCHES])
            # A name search shows who is on file: itself a read, accounted for.
            audit.record(
                actor=request.user,
                action="crisis.privacy.people_searched",
                terms=form.cleaned_data["name"],
                result_ids=[p.pk for p in people],
            )
        else:
            status = 400
    return render(request, "privacy/index.html", {"form": form, "people": people}, status=status)


@require_GET
@permission_required(PERM, raise_exception=True)
def accounting(request, pk: int):
    person = get_object_or_404(Person, pk=pk)
    form = PeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "privacy/accounting.html", {"person": person, "form": form, "rows": None}, status=400)
    start = form.cleaned_data.get("start") if form.is_bound else None
    end = form.cleaned_data.get("end") if form.is_bound else None
    rows = privacy.person_accounting(person=person, start=start, end=end)
    period = {"start": start.isoformat() if start else "", "end": end.isoformat() if end else ""}
    if request.GET.get("format") == "csv":
        audit.record(actor=request.user, action="crisis.disclosures.exported", obj=person, rows=len(rows), **period)
        response = HttpResponse(privacy.accounting_csv(rows), content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="accounting-person-{person.pk}-{stamp}.csv"'
        return response
    audit.record(actor=request.user, action="crisis.disclosures.viewed", obj=person, rows=len(rows), **period)
    query = request.GET.copy()
    query["format"] = "csv"
    context = {
        "person": person,
        "form": form,
        "rows": rows,
        "disclosures": sum(r.kind == "disclosure" for r in rows),
        "csv_query": query.urlencode(),
    }
    return render(request, "privacy/accounting.html", context)
