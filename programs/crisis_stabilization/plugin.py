"""The crisis stabilization program's plug-in: its pages, its episodes on the person page and as a caseload column."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from crisis import permissions
from crisis.people import move_references
from programs.plugins import ProgramPlugin, ReportColumn, TimelineItem

from .models import Episode


def open_episodes(*, team_ids, start_at, end_at, end_date) -> dict[int, int]:
    """Episodes open at the end of the range, per team: the team's caseload."""
    return dict(
        Episode.objects.filter(team_id__in=team_ids, opened_at__lt=end_at)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end_at))
        .values_list("team")
        .annotate(n=Count("id"))
        .order_by()
    )


class StabilizationPlugin(ProgramPlugin):
    app_label = "crisis_stabilization"

    def urls(self) -> list:
        from .urls import urlpatterns

        return urlpatterns

    def nav_links(self, user) -> list[tuple[str, str]]:
        from . import selectors

        if permissions.is_care_supervisor.test(user) or (
            permissions.may_list_caseload.test(user) and selectors.is_stabilization_member(user)
        ):
            return [("Stabilization", reverse("programs:crisis_stabilization:episodes"))]
        return []

    def person_actions(self, person, user) -> list[tuple[str, str]]:
        from . import selectors

        if not permissions.may_list_caseload.test(user) or not selectors.teams_for(user).exists():
            return []
        if Episode.objects.filter(person=person, closed_at__isnull=True).exists():
            return []
        url = reverse("programs:crisis_stabilization:episodes") + f"?person={person.pk}#open-episode"
        return [("Open a stabilization episode", url)]

    def report_columns(self) -> list[ReportColumn]:
        return [
            ReportColumn(
                report="caseload",
                key="episodes",
                label="Open episodes (stabilization)",
                compute=open_episodes,
                note="Episodes: crisis stabilization episodes open at the end of the range.",
            )
        ]

    def person_timeline(self, person) -> list[TimelineItem]:
        now = timezone.now()
        items = []
        for e in Episode.objects.filter(person=person).select_related("team", "owner").order_by("pk"):
            url = reverse("programs:crisis_stabilization:episode", args=[e.pk])
            owner = e.owner.get_full_name() or e.owner.get_username()
            if e.is_open:
                items.append(
                    TimelineItem(
                        at=e.due_at,
                        kind="stabilization",
                        title=f"Stabilization episode with {e.team.name} (owner {owner}); next contact due",
                        status=f"planned end {e.planned_end_on:%d %b}",
                        url=url,
                        open=True,
                        overdue=e.is_overdue(now),
                    )
                )
            else:
                items.append(
                    TimelineItem(
                        at=e.closed_at,
                        kind="stabilization",
                        title=f"Stabilization episode with {e.team.name} closed",
                        status=e.get_outcome_display(),
                        url=url,
                    )
                )
        return items

    def person_merge(self, *, keep, merge) -> dict[str, list[int]]:
        return move_references(Episode, "person", keep=keep, merge=merge)
