"""The crisis stabilization program's plug-in: its pages, its episodes on the person page and as a caseload column."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from crisis import permissions
from crisis.people import move_references
from programs.plugins import CareItem, OutcomeReport, ProgramPlugin, ReportColumn, TimelineItem, count_per_period

from .models import Episode, Outcome


def open_episodes(*, team_ids, start_at, end_at, end_date) -> dict[int, int]:
    """Episodes open at the end of the range, per team: the team's caseload."""
    return dict(
        Episode.objects.filter(team_id__in=team_ids, opened_at__lt=end_at)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end_at))
        .values_list("team")
        .annotate(n=Count("id"))
        .order_by()
    )


def count_discharges(*, start_at, end_at, period: str, tz, program_id: int | None):
    """Episodes closed in the range, by the period they closed in and where the person went."""
    episodes = Episode.objects.filter(closed_at__gte=start_at, closed_at__lt=end_at)
    if program_id is not None:
        episodes = episodes.filter(team__program_id=program_id)
    return count_per_period(episodes, at="closed_at", by="outcome", period=period, tz=tz)


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

    def outcome_reports(self) -> list[OutcomeReport]:
        return [
            OutcomeReport(
                key="stabilization",
                title="Crisis stabilization: avoided admission",
                outcomes=tuple(Outcome.choices),
                count=count_discharges,
                rate=(Outcome.STABILIZED.value, "Avoided admission"),
                note="Stabilization episodes closed in the period, by where the person went. Avoided admission: "
                "the share that ended stable in the community rather than inpatient, jail or another higher level "
                "of care.",
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

    def caseload_items(self, user, *, until) -> list[CareItem]:
        if not permissions.may_list_caseload.test(user):
            return []
        qs = Episode.objects.filter(closed_at__isnull=True).select_related("person", "team", "owner")
        if not permissions.is_care_supervisor.test(user):
            qs = qs.filter(Q(owner=user) | Q(team_id=permissions.active_team_id(user)))
        # Every open episode is on the caseload (it is what the worker carries), with its next contact's due time.
        return [item for e in qs for item in _care_items(e, now=until, every=True)]

    def stalled_items(self, *, now) -> list[CareItem]:
        qs = Episode.objects.filter(closed_at__isnull=True).select_related("person", "team", "owner")
        qs = qs.filter(Q(due_at__lt=now) | Q(planned_end_on__lt=timezone.localdate(now)))
        return [item for e in qs for item in _care_items(e, now=now, every=False)]


def _care_items(e: Episode, *, now, every: bool) -> list[CareItem]:
    """An open episode's hand-offs: the next contact, and the discharge once the planned end has passed."""
    owner = e.owner.get_full_name() or e.owner.get_username()
    common = {
        "program": "Crisis stabilization",
        "url": reverse("programs:crisis_stabilization:episode", args=[e.pk]),
        "person_id": e.person_id,
        "person_name": str(e.person),
        "owner_id": e.owner_id,
        "owner_name": owner,
        "team_id": e.team_id,
        "team_name": e.team.name,
    }
    items = []
    if every or e.due_at < now:
        items.append(
            CareItem(
                key=f"crisis_stabilization.episode:{e.pk}:contact:{e.due_at.isoformat()}",
                kind="stabilization contact",
                title=f"Stabilization contact with {e.person} (planned end {e.planned_end_on:%d %b})",
                due_at=e.due_at,
                **common,
            )
        )
    end = timezone.make_aware(datetime.combine(e.planned_end_on + timedelta(days=1), time.min))
    if end <= now:
        items.append(
            CareItem(
                key=f"crisis_stabilization.episode:{e.pk}:planned_end:{e.planned_end_on.isoformat()}",
                kind="stabilization discharge",
                title=f"Stabilization episode of {e.person} passed its planned end ({e.planned_end_on:%d %b})",
                due_at=end,
                **common,
            )
        )
    return items
