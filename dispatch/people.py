"""The person page: one person's story on one screen, newest first.

Identity, safety flags and the call story only: mental-health history is read through the consent-scoped
lookup (`crisis/history`), which the page links to for the roles that may use it.

It lives in live operations because it joins the person's calls with what every program recorded about them
(`programs.plugins.person_timeline`); the core keeps the audited read of the record (`crisis.people`).
"""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from crisis import permissions
from crisis.people import person_record_view
from programs import plugins
from programs.plugins import TimelineItem

from .models import OPEN_STATUSES, Call

CALLS_SHOWN = 50


def _call_items(call: Call) -> list[TimelineItem]:
    url = reverse("dispatch:call", args=[call.pk])
    is_open = call.status in OPEN_STATUSES
    status = call.get_status_display() if is_open else ""
    title = f"Call #{call.pk}: {call.nature}"
    items = [TimelineItem(at=call.received_at, kind="call", title=title, status=status, url=url, open=is_open)]
    if call.triaged_at:
        tier = call.get_tier_display() or "—"
        items.append(
            TimelineItem(at=call.triaged_at, kind="triage", title=f"Triaged P{call.priority or '?'} · {tier}", url=url)
        )
    if call.assigned_at and call.team_id:
        items.append(TimelineItem(at=call.assigned_at, kind="dispatch", title=f"{call.team.name} dispatched", url=url))
    if call.closed_at:
        items.append(
            TimelineItem(
                at=call.closed_at,
                kind="disposition",
                title=call.get_disposition_display() or call.get_status_display(),
                status=call.get_status_display(),
                url=url,
            )
        )
    return items


def person_story(person) -> list[TimelineItem]:
    """The person's calls (received, triaged, dispatched, closed) and every program's records, newest first."""
    calls = person.calls.select_related("team").order_by("-received_at")[:CALLS_SHOWN]
    items = [item for call in calls for item in _call_items(call)] + plugins.person_timeline(person)
    return sorted(items, key=lambda item: item.at, reverse=True)


@require_GET
@permission_required("crisis.view_person_record", raise_exception=True)
def person_detail(request, pk: int):
    purpose = request.GET.get("purpose", "")
    person = person_record_view(person_id=pk, by=request.user, purpose=purpose)
    story = person_story(person)
    ctx = {
        "person": person,
        "story": story,
        "open_items": [i for i in story if i.open],
        "overdue": sum(1 for i in story if i.overdue),
        "now": timezone.now(),
        # Mental-health history is never on this page: a role that may look it up gets the door to the
        # consent-scoped lookup (crisis/history), which asks for the purpose and checks consent.
        "can_look_up": permissions.may_search_history.test(request.user),
        "purpose": purpose[:300],
        "actions": plugins.person_actions(person, request.user),
    }
    return render(request, "dispatch/person_detail.html", ctx)
