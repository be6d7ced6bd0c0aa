"""Pages of the consent-scoped history lookup: thin edges over crisis.history.services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from crisis import audit
from crisis.errors import DomainError
from crisis.models import Person

from . import forms, services
from .models import Consent


def _apply_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@permission_required("history.search_history", raise_exception=True)
def search(request):
    form = forms.SearchForm(request.GET or None)
    results = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                results = services.history_search(by=request.user, **form.cleaned_data)
            except DomainError as exc:
                _apply_error(form, exc)
        if not form.is_valid():
            status = 400
    context = {"form": form, "results": results, "purpose": form.data.get("purpose", "") if form.is_bound else ""}
    return render(request, "history/search.html", context, status=status)


@permission_required("history.search_history", raise_exception=True)
@require_http_methods(["GET", "POST"])
def person(request, pk: int):
    person = get_object_or_404(Person, pk=pk)
    if request.method == "POST":
        form = forms.BreakGlassForm(request.POST)
    else:
        form = forms.ViewForm(request.GET or None)
    view = None
    status = 200
    if form.is_bound and form.is_valid():
        try:
            view = services.history_view(
                person=person,
                by=request.user,
                purpose=form.cleaned_data["purpose"],
                break_glass_reason=form.cleaned_data.get("reason", ""),
            )
        except DomainError as exc:
            _apply_error(form, exc)
    if form.is_bound and not form.is_valid():
        status = 400
    if view is None:
        # No lookup made (no purpose yet, or refused): the page still names the person (history_view audits
        # what it shows otherwise).
        audit.record(actor=request.user, action="people.person.viewed", obj=person, via="history")
    purpose = form.cleaned_data.get("purpose", "") if form.is_bound and form.is_valid() else ""
    context = {
        "person": person,
        "form": form,
        "view": view,
        "purpose": purpose,
        "break_glass_form": forms.BreakGlassForm(initial={"purpose": purpose}),
        "plan_form": _plan_form(view, purpose) if view else None,
        "consent_form": forms.ConsentForm(initial={"purpose": purpose}) if view else None,
        "consents": list(
            Consent.objects.filter(person=person).select_related("recorded_by").order_by("-granted_on", "-pk")
        )
        if view
        else [],
        "today": timezone.localdate(),
    }
    return render(request, "history/person.html", context, status=status)


def _plan_form(view, purpose: str) -> forms.ResponsePlanForm:
    plan = view.plan
    initial = {"purpose": purpose}
    if plan is not None:
        initial |= plan.officer_fields() | {"officer_view": plan.officer_view}
    return forms.ResponsePlanForm(initial=initial)


@require_POST
@permission_required("history.edit_response_plan", raise_exception=True)
def plan_save(request, pk: int):
    person = get_object_or_404(Person, pk=pk)
    form = forms.ResponsePlanForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.response_plan_save(
                person=person,
                by=request.user,
                triggers=data["triggers"],
                what_helps=data["what_helps"],
                who_to_call=data["who_to_call"],
                officer_view=data["officer_view"],
            )
        except DomainError as exc:
            _apply_error(form, exc)
    if not form.is_valid():
        return render(request, "history/plan_error.html", {"person": person, "form": form}, status=400)
    url = reverse("history:person", args=[person.pk])
    purpose = data.get("purpose") or ""
    return redirect(f"{url}?{urlencode({'purpose': purpose})}" if purpose else url)


def _back(person, purpose: str):
    url = reverse("history:person", args=[person.pk])
    return redirect(f"{url}?{urlencode({'purpose': purpose})}" if purpose else url)


@require_POST
@permission_required("history.edit_response_plan", raise_exception=True)
def consent_add(request, pk: int):
    """Record the person's signed consent (clinicians): it takes effect on the next view of their history."""
    person = get_object_or_404(Person, pk=pk)
    form = forms.ConsentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_record(
                person=person,
                scope=data["scope"],
                by=request.user,
                granted_on=data["granted_on"],
                expires_on=data["expires_on"],
                document=data["document"],
            )
        except DomainError as exc:
            _apply_error(form, exc)
    if not form.is_valid():
        return render(request, "history/consent_error.html", {"person": person, "form": form}, status=400)
    return _back(person, form.cleaned_data.get("purpose") or "")


@require_POST
@permission_required("history.edit_response_plan", raise_exception=True)
def consent_revoke(request, pk: int, consent_id: int):
    person = get_object_or_404(Person, pk=pk)
    consent = get_object_or_404(Consent, pk=consent_id, person=person)
    form = forms.ConsentRevokeForm(request.POST)
    purpose = form.cleaned_data.get("purpose", "") if form.is_valid() else ""
    try:
        services.consent_revoke(consent=consent, by=request.user)
    except DomainError as exc:
        return render(
            request, "history/consent_error.html", {"person": person, "error": exc.message}, status=exc.status_code
        )
    return _back(person, purpose)
