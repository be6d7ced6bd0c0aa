""" "My caseload today" (/programs/care/): each program's open hand-offs for this worker and the escalations raised
to them, live. Thin edges over programs.caseload (reads, audited) and programs.escalations (the one writer)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from crisis import permissions
from crisis.errors import DomainError

from . import caseload, escalations


@require_GET
def caseload_page(request):
    if not permissions.may_see_care_caseload.test(request.user):
        raise PermissionDenied("Only a responder on a team or a supervisor has a caseload.")
    today = caseload.caseload_today(by=request.user, now=timezone.now())
    template = "care/caseload_list.html" if request.GET.get("part") == "list" else "care/caseload.html"
    return render(request, template, {"c": today})


@require_POST
def escalation_acknowledge(request, pk: int):
    escalation = caseload.escalation_for_work(pk=pk, by=request.user)
    try:
        escalations.escalation_acknowledge(escalation=escalation, by=request.user, now=timezone.now())
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, "Acknowledged. It stays on the list until the hand-off moves.")
    return redirect("programs:care:caseload")
