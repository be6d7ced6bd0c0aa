"""Crisis stabilization pages: the caseload (open episodes, each owner's first), opening an episode, the episode
with its contacts and its close. Thin edges over selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from crisis.errors import DomainError, add_to_form
from crisis.models import Person, User

from . import forms, selectors, services


def _require_lister(user):
    if not selectors.may_list_episodes(user):
        raise PermissionDenied("Only a responder on a team or a supervisor may see episodes.")


def _open_form(user, data=None, initial=None):
    teams = selectors.teams_for(user)
    members = User.objects.filter(membership__team__in=teams, membership__active=True, is_active=True).order_by(
        "first_name"
    )
    return forms.OpenForm(data, teams=teams, members=members, initial=initial, prefix="new")


def _page(request, *, new_form=None, status=200):
    now = timezone.now()
    rows = list(selectors.episodes_open_for(request.user))
    selectors.episodes_viewed(by=request.user, rows=rows, now=now)
    initial = {"owner": request.user.pk}
    person_id = request.GET.get("person", "")
    if person_id.isdigit() and len(person_id) < 19:
        initial["person"] = int(person_id)
    ctx = {
        "rows": rows,
        "now": now,
        "mine": sum(1 for e in rows if e.owner_id == request.user.pk),
        "overdue": sum(1 for e in rows if e.is_overdue(now)),
        "new_form": new_form or _open_form(request.user, initial=initial),
        "may_open": selectors.teams_for(request.user).exists(),
    }
    return render(request, "crisis_stabilization/episodes.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
def episodes(request):
    _require_lister(request.user)
    if request.method == "GET":
        return _page(request)
    form = _open_form(request.user, request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        person = Person.objects.filter(pk=data.pop("person")).first()
        if person is None:
            form.add_error("person", "No person with this number.")
        else:
            try:
                episode = services.episode_open(person=person, by=request.user, **data)
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, f"Stabilization episode opened for {person}.")
                return redirect("programs:crisis_stabilization:episode", pk=episode.pk)
    return _page(request, new_form=form, status=400)


ACTIONS = {"contact": forms.ContactForm, "close": forms.CloseForm}


def _episode_page(request, episode, *, bound=None, status=200):
    contacts = selectors.episode_view(episode=episode, by=request.user)
    bound = bound or {}
    ctx = {
        "e": episode,
        "contacts": contacts,
        "now": timezone.now(),
        "forms": {name: bound.get(name) or cls(prefix=name) for name, cls in ACTIONS.items()},
    }
    return render(request, "crisis_stabilization/episode.html", ctx, status=status)


@require_http_methods(["GET"])
def episode(request, pk: int):
    _require_lister(request.user)
    return _episode_page(request, selectors.episode_for_work(pk=pk, by=request.user))


@require_POST
def episode_action(request, pk: int, action: str):
    _require_lister(request.user)
    if action not in ACTIONS:
        raise Http404("No such action.")
    episode = selectors.episode_for_work(pk=pk, by=request.user)
    form = ACTIONS[action](request.POST, prefix=action)
    if form.is_valid():
        try:
            if action == "contact":
                services.episode_contact_record(episode=episode, by=request.user, **form.cleaned_data)
                message = "Contact recorded."
            else:
                services.episode_close(episode=episode, by=request.user, **form.cleaned_data)
                message = "Episode closed."
        except DomainError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, message)
            return redirect("programs:crisis_stabilization:episode", pk=episode.pk)
    return _episode_page(request, episode, bound={action: form}, status=400)
