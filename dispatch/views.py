"""Dispatcher pages: thin edges that validate a form, call one service, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from crisis import audit, permissions
from crisis.errors import DomainError, add_to_form
from crisis.validators import parse_db_int
from programs import plugins as program_plugins

from . import forms, selectors, services, standards, triage
from .event_text import event_text
from .models import Call, Source, address_key


@require_GET
@permission_required("dispatch.view_queue", raise_exception=True)
def queue(request):
    # The same calls as the board's snapshot (one region rule), so queue.js can tell what changed since this render.
    calls = list(selectors.queue(region=permissions.dispatch_region(request.user)))
    audit.record(actor=request.user, action="dispatch.queue.viewed", via="page", calls=[c.pk for c in calls])
    return render(request, "dispatch/queue.html", {"calls": calls, "now": timezone.now()})


@require_GET
@permission_required("dispatch.view_queue", raise_exception=True)
def board(request):
    """The live board: a shell the page fills from /api/board/ and keeps current over the websocket."""
    from django.conf import settings

    from responders.models import TeamStatus

    from .models import CallType as Types
    from .models import Disposition, Status, Tier

    labels = {
        "status": dict(Status.choices),
        "tier": dict(Tier.choices),
        "call_type": dict(Types.choices),
        "team_status": dict(TeamStatus.choices),
        "disposition": dict(Disposition.choices),
        "can_assign": request.user.has_perm("dispatch.assign_call"),
    }
    return render(
        request,
        "dispatch/board.html",
        {
            "labels": labels,
            "tile_url": settings.MAP_TILE_URL,
            "center": settings.MAP_CENTER,
            # Which events sound the alarm (static/js/alarm.js); muting is per desk, in the browser.
            # The NENA answer figure, counted as the standards report counts it (dispatch.standards).
            "answer": _answer_figure(),
            "alarm": {
                "events": settings.BOARD_ALARM_EVENTS,
                "sos_repeat_seconds": settings.BOARD_ALARM_SOS_REPEAT_SECONDS,
            },
        },
    )


def _answer_figure() -> dict:
    since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    std = {s.key: s for s in standards.configured_standards()}["answer"]
    figure = standards.standard_figure("answer", Call.objects.filter(received_at__gte=since))
    percent = None if figure.share is None else round(100 * figure.share)
    return {"label": figure.label, "figure": figure, "percent": percent, "explanation": std.explanation}


@permission_required("dispatch.add_call", raise_exception=True)
def intake(request):
    """The call and its risk screen on one page, one submit: with the screen asked, the same one-transaction
    service as POST /api/calls/intake/ (created, triaged, routed) and on to the board with the call selected;
    with the screen untouched, the call alone, triaged on its page."""
    form = forms.IntakeForm(request.POST or None, initial={"answered_at": timezone.now()})
    may_triage = request.user.has_perm("dispatch.triage_call")
    screen_form = forms.TriageForm(request.POST or None) if may_triage else None
    if request.method == "POST" and form.is_valid() and (screen_form is None or screen_form.is_valid()):
        data = {k: v for k, v in form.cleaned_data.items() if k != "person"}
        person = form.cleaned_data.get("person")
        screened = screen_form is not None and screen_form.answered()
        try:
            if screened:
                call = services.call_intake(
                    by=request.user,
                    screen=screen_form.screen(),
                    person=person,
                    tier_override=screen_form.cleaned_data.get("tier_override") or None,
                    override_reason=screen_form.cleaned_data.get("override_reason", ""),
                    **data,
                )
            else:
                call = services.call_create(by=request.user, person=person, **data)
        except DomainError as exc:
            # A refusal names the field it is about, on whichever of the two forms has it.
            add_to_form(screen_form if screened and exc.field in screen_form.fields else form, exc)
        else:
            if not screened:
                messages.success(request, f"Call #{call.pk} created. Triage it now.")
                return redirect("dispatch:call", pk=call.pk)
            messages.success(request, f"Call #{call.pk} created and triaged: {call.get_tier_display()}.")
            return redirect(f"{reverse('dispatch:board')}?call={call.pk}")
    # The person field lists every known person by name: being in the crisis registry is itself health
    # information, so each render is a read of the people shown (HIPAA 164.312(b)), audited with their ids.
    shown = list(form.fields["person"].queryset.values_list("pk", flat=True))
    audit.record(actor=request.user, action="people.persons.listed", via="intake", ids=shown)
    return render(
        request,
        "dispatch/intake.html",
        {
            "form": form,
            "triage_form": screen_form,
            "keys": True,
            "tile_url": settings.MAP_TILE_URL,
            "center": settings.MAP_CENTER,
        },
    )


@require_GET
@permission_required("dispatch.view_premise_history", raise_exception=True)
def history(request):
    """Prior calls at an address or about a person, fetched while the call is taken."""
    key = address_key(request.GET.get("address", ""))
    try:
        person_id = parse_db_int(request.GET.get("person", ""))
    except ValueError:
        person_id = None
    rows = selectors.premise_history(address_key=key, person_id=person_id) if (len(key) >= 4 or person_id) else []
    callback = request.GET.get("callback", "")[:32]
    duplicates = selectors.possible_duplicates(address_key=key, callback_number=callback, now=timezone.now())
    audit.record(
        actor=request.user,
        action="dispatch.premise_history.viewed",
        address=key,
        person_id=person_id,
        results=len(rows),
        duplicates=[call.pk for call, _ in duplicates],
    )
    return render(
        request,
        "dispatch/_history.html",
        {"rows": rows, "duplicates": duplicates, "window": settings.DUPLICATE_WINDOW_MINUTES},
    )


def _call_page(request, call_id: int, **forms_in):
    get_object_or_404(Call, pk=call_id)
    call = selectors.call_for_page(call_id)
    latest = selectors.latest_triage(call)
    ctx = {
        "call": call,
        "latest_triage": latest,
        "rules": [
            (code, triage.describe(code), triage.is_from_history(code))
            for code in (latest.rules_fired if latest else [])
        ],
        "triage_form": forms_in.get("triage_form") or forms.TriageForm(instance=None),
        "needs_form": forms_in.get("needs_form")
        or forms.NeedsForm(
            initial={"needs": sorted(selectors.call_needs(call, latest)[0])}, choices=selectors.needs_choices(call)
        ),
        "inferred_needs": sorted(selectors.inferred_needs(call, latest)[0]),
        "close_form": forms_in.get("close_form") or forms.CloseForm(),
        "cancel_form": forms_in.get("cancel_form") or forms.ReasonForm(),
        "assign_form": forms_in.get("assign_form") or forms.AssignForm(),
        "timeline": [(ev, event_text(ev)) for ev in call.events.all()],
        "history": selectors.premise_history(
            address_key=call.address_key, person_id=call.person_id, exclude_call_id=call.pk
        ),
        "teams": list(selectors.team_board(region=call.region)),
        "now": timezone.now(),
        "program_actions": program_plugins.call_actions(call, request.user),
    }
    # One read, one row: the page shows the call's clinical fields and its premise history together.
    audit.record(
        actor=request.user, action="dispatch.call.viewed", obj=call, via="page", premise_history=len(ctx["history"])
    )
    return render(request, "dispatch/call_detail.html", ctx, status=400 if forms_in else 200)


@require_GET
@permission_required("dispatch.view_call", raise_exception=True)
def call_detail(request, pk: int):
    return _call_page(request, pk)


def _act(request, pk, form, action, ok_message, form_key):
    """Run one service for a posted form; form errors and refused actions come back on the page."""
    call = get_object_or_404(Call, pk=pk)
    if not form.is_valid():
        return _call_page(request, pk, **{form_key: form})
    try:
        action(call, form.cleaned_data)
    except DomainError as exc:
        if exc.field and exc.field in form.fields:
            form.add_error(exc.field, exc.message)
            return _call_page(request, pk, **{form_key: form})
        messages.error(request, exc.message)
        return redirect("dispatch:call", pk=pk)
    messages.success(request, ok_message)
    return redirect("dispatch:call", pk=pk)


@require_POST
@permission_required("dispatch.triage_call", raise_exception=True)
def call_triage(request, pk: int):
    form = forms.TriageForm(request.POST)

    def run(call, data):
        services.call_triage(
            call=call,
            screen=form.screen(),
            by=request.user,
            tier_override=data.get("tier_override") or None,
            override_reason=data.get("override_reason", ""),
        )

    return _act(request, pk, form, run, "Triage recorded.", "triage_form")


@require_POST
@permission_required("dispatch.triage_call", raise_exception=True)
def call_needs(request, pk: int):
    call = get_object_or_404(Call, pk=pk)
    form = forms.NeedsForm(request.POST, choices=selectors.needs_choices(call))
    return _act(
        request,
        pk,
        form,
        lambda call, data: services.call_set_needs(call=call, needs=data["needs"], by=request.user),
        "Needs saved; the call is routed with them.",
        "needs_form",
    )


@require_POST
@permission_required("dispatch.close_call", raise_exception=True)
def call_resolve(request, pk: int):
    form = forms.CloseForm({"disposition": "resolved_by_phone", "note": request.POST.get("note", "")})
    return _act(
        request,
        pk,
        form,
        lambda call, data: services.call_resolve_by_phone(call=call, by=request.user, note=data["note"]),
        "Marked resolved by phone.",
        "close_form",
    )


@require_POST
@permission_required("dispatch.close_call", raise_exception=True)
def call_close(request, pk: int):
    return _act(
        request,
        pk,
        forms.CloseForm(request.POST),
        lambda call, data: services.call_close(call=call, by=request.user, **data),
        "Call closed.",
        "close_form",
    )


@require_POST
@permission_required("dispatch.close_call", raise_exception=True)
def call_cancel(request, pk: int):
    return _act(
        request,
        pk,
        forms.ReasonForm(request.POST),
        lambda call, data: services.call_cancel(call=call, by=request.user, reason=data["reason"]),
        "Call cancelled.",
        "cancel_form",
    )


@require_POST
@permission_required("dispatch.assign_call", raise_exception=True)
def call_assign(request, pk: int):
    return _act(
        request,
        pk,
        forms.AssignForm(request.POST),
        lambda call, data: services.call_assign(call=call, by=request.user, **data),
        "Team assigned.",
        "assign_form",
    )


@require_POST
@permission_required("dispatch.assign_call", raise_exception=True)
def call_confirm(request, pk: int):
    return _act(
        request,
        pk,
        forms.ReasonForm({"reason": "confirm"}),
        lambda call, data: services.call_confirm_recommendation(call=call, by=request.user),
        "Recommendation confirmed: offer sent.",
        "assign_form",
    )


@permission_required("dispatch.request_response", raise_exception=True)
def officer_request(request):
    form = forms.OfficerRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        call = services.call_create(
            by=request.user,
            source=Source.LAW_ENFORCEMENT,
            caller_name=request.user.get_full_name() or request.user.username,
            **form.cleaned_data,
        )
        messages.success(request, f"Request #{call.pk} sent to the crisis hub.")
        return redirect("dispatch:officer_request")
    mine = Call.objects.filter(created_by=request.user).select_related("team").order_by("-received_at")[:20]
    return render(request, "dispatch/officer.html", {"form": form, "mine": mine})


SEARCH_PAGE_SIZE = 25


@require_GET
@permission_required("dispatch.view_queue", raise_exception=True)
def search(request):
    """The desk's call search: by number, address, callback number, name, dates and status; 25 a page."""
    form = forms.CallSearchForm(request.GET or None)
    page = None
    if form.is_valid():
        paginator = Paginator(selectors.call_search(user=request.user, **form.criteria()), SEARCH_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        # A search reads callers' numbers, names and addresses: one audit row per page shown, with its ids.
        audit.record(
            actor=request.user,
            action="dispatch.calls.searched",
            via="page",
            criteria=sorted(k for k, v in form.cleaned_data.items() if v),
            calls=[c.pk for c in page.object_list],
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "dispatch/search.html", {"form": form, "page": page, "query": query.urlencode()},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )  # fmt: skip


@require_GET
@permission_required("dispatch.view_queue", raise_exception=True)
def closed(request):
    """Recently ended calls, newest first, 25 a page; filter by the day they ended, disposition and team."""
    form = forms.ClosedCallsForm(request.GET or None)
    page, status = None, 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        criteria = form.criteria() if form.is_bound else {}
        paginator = Paginator(selectors.closed_calls(user=request.user, **criteria), SEARCH_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        # Like a search: the list shows callers' addresses and what happened; one audit row per page, with its ids.
        audit.record(
            actor=request.user,
            action="dispatch.calls.closed_listed",
            via="page",
            criteria=sorted(k for k, v in criteria.items() if v),
            calls=[c.pk for c in page.object_list],
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "dispatch/closed.html", {"form": form, "page": page, "query": query.urlencode()}, status=status
    )
