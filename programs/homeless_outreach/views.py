"""Outreach pages: the by-name list, recording an encounter (the phone at 360 px or the desk) and a person's
consents to share with partner agencies. Thin edges."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisis import permissions
from crisis.errors import DomainError
from crisis.models import Person
from programs.community_responders.models import Partner
from responders.models import Team

from . import forms, selectors, services
from .models import SharingConsent


def _teams_for(user):
    teams = Team.objects.all()
    if not permissions.is_dispatch_desk.test(user):
        teams = teams.filter(pk=permissions.active_team_id(user))
    return teams.order_by("name")


@require_GET
def by_name_list(request):
    if not permissions.may_see_by_name_list.test(request.user):
        raise PermissionDenied("Only outreach staff, the desk and partner agencies see the by-name list.")
    rows = selectors.by_name_list(by=request.user)
    ctx = {
        "rows": rows,
        "may_record": permissions.may_record_outreach.test(request.user),
        "may_keep_consent": permissions.may_keep_sharing_consent.test(request.user),
        "agency": services.partner_of(request.user),
    }
    return render(request, "homeless_outreach/by_name_list.html", ctx)


@require_http_methods(["GET", "POST"])
def contact_new(request, pk: int):
    if not permissions.may_record_outreach.test(request.user):
        raise PermissionDenied("Only a team's members, the desk or a partner agency record outreach encounters.")
    agency = services.partner_of(request.user)
    teams = None if agency is not None else _teams_for(request.user)
    if teams is not None and not teams.exists():
        raise PermissionDenied("Only a team's members, the desk or a partner agency record outreach encounters.")
    person = get_object_or_404(Person, pk=pk, merged_into__isnull=True)
    initial = {"team": teams.first()} if teams is not None else {}
    if request.GET.get("refer") == "housing":  # "Refer for housing" on the by-name list
        initial |= {"outcome": "housing", "housing_referral_status": "sent", "offered": ["housing"]}
    form = forms.ContactForm(request.POST or None, teams=teams, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.outreach_contact_record(person=person, by=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status_code
            else:
                subject = selectors.label_for(person.pk) if agency is not None else str(person)
                messages.success(request, f"Encounter with {subject} recorded.")
                return redirect("programs:homeless_outreach:list")
    subject = selectors.subject_for(person=person, by=request.user)
    ctx = {
        "form": form,
        "subject": subject,
        "agency": agency,
        "directory": Partner.objects.filter(active=True).values_list("name", flat=True),
    }
    return render(request, "homeless_outreach/contact.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
def consents(request, pk: int):
    if not permissions.may_keep_sharing_consent.test(request.user):
        raise PermissionDenied("Only outreach staff keep consents to share.")
    person = get_object_or_404(Person, pk=pk, merged_into__isnull=True)
    form = forms.ConsentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.sharing_consent_record(
                    person=person,
                    partner=form.cleaned_data["partner"],
                    scope=form.cleaned_data["scope"],
                    expires_at=form.expires_at(),
                    document=form.cleaned_data["document"],
                    by=request.user,
                )
            except DomainError as exc:
                field = {"expires_at": "expires_on"}.get(exc.field, exc.field)
                form.add_error(field if field in form.fields else None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, f"Consent to share with {form.cleaned_data['partner']} recorded.")
                return redirect("programs:homeless_outreach:consents", pk=person.pk)
    rows = selectors.consents_for(person=person, by=request.user)
    ctx = {"person": person, "consents": rows, "form": form, "now": timezone.now()}
    return render(request, "homeless_outreach/consents.html", ctx, status=status)


@require_POST
def consent_revoke(request, pk: int):
    if not permissions.may_keep_sharing_consent.test(request.user):
        raise PermissionDenied("Only outreach staff keep consents to share.")
    consent = get_object_or_404(SharingConsent.objects.select_related("partner"), pk=pk)
    try:
        services.sharing_consent_revoke(consent=consent, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Consent to share with {consent.partner} revoked.")
    return redirect("programs:homeless_outreach:consents", pk=consent.person_id)
