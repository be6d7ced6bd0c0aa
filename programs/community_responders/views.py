"""The referrals page: open referrals with their due clock, a status change each, and a new referral. Thin edges."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from crisis.errors import DomainError, add_to_form

from . import forms, selectors, services


def _require_lister(user):
    if not selectors.may_list_referrals(user):
        raise PermissionDenied("Only the dispatch desk or a responder on a team may see referrals.")


def _page(request, *, bound: dict | None = None, new_form=None, status: int = 200):
    now = timezone.now()
    rows = list(selectors.referrals_open_for(request.user))
    selectors.referrals_viewed(by=request.user, rows=rows, now=now)
    bound = bound or {}
    items = [(r, bound.get(r.pk) or forms.StatusForm(referral=r, prefix=f"r{r.pk}")) for r in rows]
    ctx = {"items": items, "now": now, "new_form": new_form or forms.ReferralForm(prefix="new")}
    return render(request, "community_responders/referrals.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
def referral_list(request):
    _require_lister(request.user)
    if request.method == "GET":
        return _page(request)
    form = forms.ReferralForm(request.POST, prefix="new")
    if form.is_valid():
        call = selectors.referable_calls().filter(pk=form.cleaned_data["call"]).first()
        if call is None:
            form.add_error("call", "No call with this number.")
        else:
            try:
                referral = services.referral_create(
                    call=call,
                    by=request.user,
                    partner=form.cleaned_data["partner"],
                    service=form.cleaned_data["service"],
                )
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, f"Referral to {referral.agency} sent.")
                return redirect("programs:community_responders:referrals")
    return _page(request, new_form=form, status=400)


@require_POST
def referral_status(request, pk: int):
    _require_lister(request.user)
    referral = selectors.referral_for_work(pk=pk, by=request.user)
    form = forms.StatusForm(request.POST, referral=referral, prefix=f"r{referral.pk}")
    if form.is_valid():
        try:
            referral = services.referral_set_status(referral=referral, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"Referral to {referral.agency}: {referral.get_status_display().lower()}.")
            return redirect("programs:community_responders:referrals")
    return _page(request, bound={referral.pk: form}, status=400)
