"""The diversion console (thin edges over selectors and services): the live queue and one call's page."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from crisis.errors import DomainError
from programs.plugins import call_desk

from . import forms, selectors, services
from .models import Diversion

WORK = "diversion.work_diversion"


@require_GET
@permission_required(WORK, raise_exception=True)
def console(request):
    return render(request, "diversion/console.html")


def _page(request, diversion, *, status=200, **bound):
    desk = call_desk()
    context = {
        "d": diversion,
        "call": diversion.call,
        "referrals": list(diversion.call.referrals.select_related("partner").order_by("pk")),
        "mine": diversion.clinician_id == request.user.pk,
        "document_form": bound.get("document")
        or forms.DocumentForm(
            initial={
                "counselling_note": diversion.counselling_note,
                "needs": diversion.needs,
                "safety_plan": diversion.safety_plan,
            }
        ),
        "refer_form": bound.get("refer") or forms.ReferForm(),
        "end_form": bound.get("end") or forms.EndForm(screen_fields=desk.screen_fields()),
        "error": bound.get("error", ""),
        "done": DONE.get(request.GET.get("done", ""), ""),
    }
    return render(request, "diversion/detail.html", context, status=status)


@require_GET
@permission_required(WORK, raise_exception=True)
def detail(request, pk: int):
    return _page(request, selectors.diversion_detail(pk=pk, by=request.user))


DONE = {"take": "You have the call.", "document": "Saved.", "refer": "Referral sent.", "end": ""}


def _after(request, diversion, action, *, form_key=None, form=None, done=""):
    """Run `action`; on a refusal show the page again with the message (400/409), else back to the page."""
    try:
        action()
    except DomainError as exc:
        diversion.refresh_from_db()
        bound = {form_key: form} if form_key else {}
        return _page(request, diversion, status=exc.status_code, error=exc.message, **bound)
    url = reverse("programs:diversion:detail", args=[diversion.pk])
    return redirect(f"{url}?done={done}" if done else url)


def _get(pk: int) -> Diversion:
    return get_object_or_404(Diversion.objects.select_related("call", "clinician"), pk=pk)


@require_POST
@permission_required(WORK, raise_exception=True)
def take(request, pk: int):
    d = _get(pk)
    return _after(request, d, lambda: services.diversion_take(diversion=d, by=request.user), done="take")


@require_POST
@permission_required(WORK, raise_exception=True)
def document(request, pk: int):
    d = _get(pk)
    form = forms.DocumentForm(request.POST)
    if not form.is_valid():
        return _page(request, d, status=400, document=form, error="Check the documentation.")
    data = form.cleaned_data
    return _after(
        request,
        d,
        lambda: services.diversion_document(diversion=d, by=request.user, **data),
        form_key="document",
        form=form,
        done="document",
    )


@require_POST
@permission_required(WORK, raise_exception=True)
def refer(request, pk: int):
    d = _get(pk)
    form = forms.ReferForm(request.POST)
    if not form.is_valid():
        return _page(request, d, status=400, refer=form, error="Choose a partner and name the service.")
    data = form.cleaned_data
    return _after(
        request,
        d,
        lambda: services.diversion_refer(
            diversion=d, by=request.user, partner=data["partner"], service=data["service"]
        ),
        form_key="refer",
        form=form,
        done="refer",
    )


@require_POST
@permission_required(WORK, raise_exception=True)
def end(request, pk: int):
    """Resolve by phone or send a team, from the same risk screen (the button pressed says which)."""
    d = _get(pk)
    form = forms.EndForm(request.POST, screen_fields=call_desk().screen_fields())
    if not form.is_valid():
        return _page(request, d, status=400, end=form, error="Check the risk screen.")
    service = services.diversion_resolve if request.POST.get("action") == "resolve" else services.diversion_escalate
    return _after(
        request,
        d,
        lambda: service(diversion=d, by=request.user, screen=form.screen(), note=form.cleaned_data["note"]),
        form_key="end",
        form=form,
    )
