"""FACT pages: the teams' caseloads with ratio and on-call rota, enrolment, and a client's record. Thin edges."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from crisis import permissions
from crisis.errors import DomainError, add_to_form
from crisis.models import Person

from . import forms, selectors, services
from .models import Goal

CLIENT_FORMS = {
    "contact": forms.ContactForm,
    "goal": forms.GoalForm,
    "outcome": forms.OutcomeForm,
    "plan": forms.PlanForm,
    "discharge": forms.DischargeForm,
}


def _require_lister(user):
    if not permissions.may_list_caseload.test(user):
        raise PermissionDenied("Only a responder on a team or a supervisor may see a caseload.")


def _caseload_page(request, *, bound: dict | None = None, status: int = 200):
    now = timezone.now()
    caseloads = selectors.caseloads_for(request.user, now=now)
    selectors.caseloads_viewed(by=request.user, caseloads=caseloads)
    supervisor = permissions.may_keep_on_call_rota.test(request.user)
    bound = bound or {}
    items = []
    for c in caseloads:
        form = None
        if supervisor:
            form = bound.get(c.team.pk) or forms.OnCallForm(
                members=selectors.team_members(c.team), prefix=f"t{c.team.pk}"
            )
        items.append((c, form))
    ctx = {"items": items, "now": now, "supervisor": supervisor}
    return render(request, "fact/caseload.html", ctx, status=status)


@require_http_methods(["GET"])
def caseload(request):
    _require_lister(request.user)
    return _caseload_page(request)


@require_POST
def on_call_add(request, team_pk: int):
    if not permissions.may_keep_on_call_rota.test(request.user):
        raise PermissionDenied("Only a supervisor may change the on-call rota.")
    team = get_object_or_404(selectors.fact_teams_for(request.user), pk=team_pk)
    form = forms.OnCallForm(request.POST, members=selectors.team_members(team), prefix=f"t{team.pk}")
    if form.is_valid():
        try:
            shift = services.on_call_add(team=team, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                f"{shift.member.get_full_name()} is on call for {team.name} from "
                f"{timezone.localtime(shift.starts_at):%a %d %b %H:%M}.",
            )
            return redirect("programs:fact:caseload")
    return _caseload_page(request, bound={team.pk: form}, status=400)


@require_http_methods(["GET", "POST"])
def enroll(request):
    _require_lister(request.user)
    teams = selectors.fact_teams_for(request.user)
    person = None
    if request.method == "GET":
        initial = {}
        person_id = request.GET.get("person", "")
        if person_id.isdigit() and len(person_id) < 19:
            person = selectors.person_to_enrol(int(person_id), by=request.user)
            if person is not None:
                initial["person"] = person.pk
        form = forms.EnrollForm(teams=teams, initial=initial)
        return render(request, "fact/enroll.html", {"form": form, "person": person})
    form = forms.EnrollForm(request.POST, teams=teams)
    if form.is_valid() or "person" in form.cleaned_data:
        # The heading names the person whenever the number is one, so a corrected form still says who it is about.
        person = Person.objects.filter(pk=form.cleaned_data["person"]).first()
    if form.is_valid():
        data = dict(form.cleaned_data)
        person = Person.objects.filter(pk=data.pop("person")).first()
        if person is None:
            form.add_error("person", "No person with this number.")
        else:
            try:
                enrollment = services.enrollment_create(person=person, by=request.user, **data)
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, f"{person} is enrolled with {enrollment.team.name}.")
                return redirect("programs:fact:client", pk=enrollment.pk)
    return render(request, "fact/enroll.html", {"form": form, "person": person}, status=400)


def _client_page(request, enrollment, *, bound: dict | None = None, status: int = 200):
    record = selectors.client_record_view(enrollment=enrollment, by=request.user)
    bound = bound or {}
    client_forms = {
        name: bound.get(name)
        or cls(prefix=name, initial={"crisis_plan": enrollment.crisis_plan} if name == "plan" else None)
        for name, cls in CLIENT_FORMS.items()
    }
    goals = [
        (g, bound.get(f"goal{g.pk}") or forms.GoalStatusForm(prefix=f"g{g.pk}", initial={"status": g.status}))
        for g in record.goals
    ]
    ctx = {"r": record, "e": enrollment, "forms": client_forms, "goals": goals, "now": timezone.now()}
    return render(request, "fact/client.html", ctx, status=status)


@require_http_methods(["GET"])
def client(request, pk: int):
    _require_lister(request.user)
    return _client_page(request, selectors.enrollment_for_work(pk=pk, by=request.user))


def _do(name: str, enrollment, by, data):
    if name == "contact":
        services.contact_record(enrollment=enrollment, by=by, **data)
        return "Contact recorded."
    if name == "goal":
        services.goal_add(enrollment=enrollment, by=by, **data)
        return "Goal added."
    if name == "outcome":
        services.outcome_record(enrollment=enrollment, by=by, **data)
        return "Recorded."
    if name == "plan":
        services.care_plan_update(enrollment=enrollment, by=by, **data)
        return "Crisis plan saved."
    services.enrollment_discharge(enrollment=enrollment, by=by, **data)
    return "Client discharged."


@require_POST
def client_action(request, pk: int, action: str):
    _require_lister(request.user)
    if action not in CLIENT_FORMS:
        raise Http404("No such action.")
    enrollment = selectors.enrollment_for_work(pk=pk, by=request.user)
    form = CLIENT_FORMS[action](request.POST, prefix=action)
    if form.is_valid():
        try:
            message = _do(action, enrollment, request.user, form.cleaned_data)
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, message)
            return redirect("programs:fact:client", pk=enrollment.pk)
    return _client_page(request, enrollment, bound={action: form}, status=400)


@require_POST
def goal_status(request, pk: int):
    _require_lister(request.user)
    goal = get_object_or_404(Goal.objects.select_related("enrollment"), pk=pk)
    enrollment = selectors.enrollment_for_work(pk=goal.enrollment_id, by=request.user)
    form = forms.GoalStatusForm(request.POST, prefix=f"g{goal.pk}")
    if form.is_valid():
        try:
            services.goal_set_status(goal=goal, by=request.user, status=form.cleaned_data["status"])
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                f"Goal “{goal.text}”: {dict(form.fields['status'].choices)[form.cleaned_data['status']].lower()}.",
            )
            return redirect("programs:fact:client", pk=enrollment.pk)
    return _client_page(request, enrollment, bound={f"goal{goal.pk}": form}, status=400)
