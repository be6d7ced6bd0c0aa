"""The mobile crisis program's plug-in: a follow-up for every field response; follow-ups stop the 72-hour clock."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from crisis import permissions
from programs.plugins import CareItem, ProgramPlugin, StandardEnd, TimelineItem

from . import services
from .models import FollowUp


class MobileCrisisPlugin(ProgramPlugin):
    app_label = "mobile_crisis"

    def call_closed(self, call, *, by) -> None:
        services.follow_up_schedule(call=call, by=by)

    def urls(self) -> list:
        from .urls import urlpatterns

        return urlpatterns

    def nav_links(self, user) -> list[tuple[str, str]]:
        if not permissions.may_list_follow_ups.test(user):
            return []
        return [("Follow-ups", reverse("programs:mobile_crisis:follow-ups"))]

    def standard_ends(self) -> list[StandardEnd]:
        # The follow-up standard (dispatch/standards.py) runs from on scene to the first completed follow-up.
        return [
            StandardEnd(
                end="follow_up_completed_at",
                records=lambda: FollowUp.objects.filter(completed_at__isnull=False),
                at_field="completed_at",
            )
        ]

    def person_timeline(self, person) -> list[TimelineItem]:
        now = timezone.now()
        items = []
        for f in FollowUp.objects.filter(call__person=person).order_by("pk"):
            if f.completed_at is None:
                status = "escalated" if f.escalated_at else f.due_clock(now)
                at, url = f.due_at, reverse("programs:mobile_crisis:follow-ups") + f"#follow-up-{f.pk}"
            else:
                status = "reached" if f.reached else "not reached"
                at, url = f.completed_at, ""
            title = f"Follow-up ({f.get_method_display().lower()}) after call #{f.call_id}"
            if f.next_step:
                title += f"; next: {f.next_step}"
            items.append(
                TimelineItem(
                    at=at,
                    kind="follow-up",
                    title=title,
                    status=status,
                    url=url,
                    open=f.is_open,
                    overdue=f.is_overdue(now),
                )
            )
        return items

    def caseload_items(self, user, *, until) -> list[CareItem]:
        if not permissions.may_list_follow_ups.test(user):
            return []
        qs = FollowUp.objects.filter(completed_at__isnull=True, due_at__lt=until)
        if not permissions.is_care_supervisor.test(user):
            qs = qs.filter(team_id=permissions.active_team_id(user))
        return [_care_item(f) for f in qs.select_related("call__person", "team")]

    def stalled_items(self, *, now) -> list[CareItem]:
        qs = FollowUp.objects.filter(completed_at__isnull=True, due_at__lt=now)
        return [_care_item(f) for f in qs.select_related("call__person", "team")]


def _care_item(f: FollowUp) -> CareItem:
    """A follow-up's team owns it: the team that went out calls the person back."""
    person = f.call.person
    return CareItem(
        key=f"mobile_crisis.followup:{f.pk}:due:{f.due_at.isoformat()}",
        kind="follow-up",
        program="Mobile crisis",
        title=f"Follow-up ({f.get_method_display().lower()}) after call #{f.call_id}"
        + (f" with {person}" if person else ""),
        due_at=f.due_at,
        url=reverse("programs:mobile_crisis:follow-ups") + f"#follow-up-{f.pk}",
        person_id=person.pk if person else None,
        person_name=str(person) if person else "",
        team_id=f.team_id,
        team_name=f.team.name if f.team else "",
    )
