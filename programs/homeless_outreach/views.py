"""Outreach pages: the by-name list and recording a contact (the phone at 360 px or the desk). Thin edges."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from crisis import permissions
from crisis.errors import DomainError
from crisis.models import Person
from responders.models import Team

from . import forms, selectors, services


def _teams_for(user):
    teams = Team.objects.all()
    if not permissions.is_dispatch_desk.test(user):
        teams = teams.filter(pk=permissions.active_team_id(user))
    return teams.order_by("name")


@require_GET
def by_name_list(request):
    if not permissions.may_see_by_name_list.test(request.user):
        raise PermissionDenied("Only outreach workers, supervisors and the desk see the by-name list.")
    rows = selectors.by_name_list(by=request.user)
    ctx = {"rows": rows, "may_record": permissions.may_record_outreach.test(request.user)}
    return render(request, "homeless_outreach/by_name_list.html", ctx)


@require_http_methods(["GET", "POST"])
def contact_new(request, pk: int):
    teams = _teams_for(request.user)
    if not (permissions.may_record_outreach.test(request.user) and teams.exists()):
        raise PermissionDenied("Only a team's members or the desk record outreach contacts.")
    person = get_object_or_404(Person, pk=pk, merged_into__isnull=True)
    form = forms.ContactForm(request.POST or None, teams=teams, initial={"team": teams.first()})
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
                messages.success(request, f"Contact with {person} recorded.")
                return redirect("programs:homeless_outreach:list")
    return render(request, "homeless_outreach/contact.html", {"form": form, "person": person}, status=status)
