"""The follow-up work list for a team and its supervisor: thin edges over selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from crisis import permissions
from crisis.errors import DomainError

from . import forms, selectors, services


def _page(request, *, bound: dict | None = None, status: int = 200):
    now = timezone.now()
    rows = selectors.follow_ups_open_view(by=request.user, now=now)
    bound = bound or {}
    items = [(f, bound.get(f.pk) or forms.RecordForm(prefix=f"f{f.pk}")) for f in rows]
    ctx = {
        "items": items,
        "now": now,
        "supervisor": permissions.is_care_supervisor.test(request.user),
        "overdue": sum(1 for f in rows if f.is_overdue(now)),
    }
    return render(request, "mobile_crisis/follow_ups.html", ctx, status=status)


@require_GET
def follow_up_list(request):
    if not permissions.may_list_follow_ups.test(request.user):
        raise PermissionDenied("Only a responder on a team or a supervisor may see follow-ups.")
    return _page(request)


@require_POST
def follow_up_record(request, pk: int):
    # Who first (403 before any 400), then which row, then what was typed.
    if not permissions.may_list_follow_ups.test(request.user):
        raise PermissionDenied("Only a responder on a team or a supervisor may record follow-ups.")
    follow_up = selectors.follow_up_for_work(pk=pk, by=request.user)
    form = forms.RecordForm(request.POST, prefix=f"f{follow_up.pk}")
    if not form.is_valid():
        return _page(request, bound={follow_up.pk: form}, status=400)
    try:
        services.follow_up_record(follow_up=follow_up, by=request.user, **form.cleaned_data)
    except DomainError as exc:
        if exc.field and exc.field in form.fields:
            form.add_error(exc.field, exc.message)
            return _page(request, bound={follow_up.pk: form}, status=400)
        messages.error(request, exc.message)
        return redirect("programs:mobile_crisis:follow-ups")
    messages.success(request, f"Follow-up for call #{follow_up.call_id} recorded.")
    return redirect("programs:mobile_crisis:follow-ups")
