"""The community responders program's plug-in: referrals to partner services, followed until the loop closes."""

from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import Trunc
from django.urls import reverse
from django.utils import timezone

from crisis import permissions
from programs.plugins import CareItem, OutcomeReport, ProgramPlugin, TimelineItem

from .models import OPEN_STATUSES, Referral, ReferralStatus

# How a referral's loop closed: the person went, did not, or the partner or the person said no.
ENDED = tuple((s.value, s.label) for s in ReferralStatus if s.value not in OPEN_STATUSES)


def count_ended(*, start_at, end_at, period: str, tz, program_id: int | None):
    """Referrals that ended in the range, by the period of their last status change and that status."""
    referrals = Referral.objects.exclude(status__in=OPEN_STATUSES).filter(
        status_changed_at__gte=start_at, status_changed_at__lt=end_at
    )
    if program_id is not None:
        referrals = referrals.filter(call__team__program_id=program_id)
    rows = (
        referrals.annotate(period=Trunc("status_changed_at", period, tzinfo=tz))
        .values("period", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [(r["period"].date(), r["status"], r["n"]) for r in rows]


class CommunityRespondersPlugin(ProgramPlugin):
    app_label = "community_responders"

    def urls(self) -> list:
        from .urls import urlpatterns

        return urlpatterns

    def nav_links(self, user) -> list[tuple[str, str]]:
        from . import selectors

        if not selectors.may_list_referrals(user):
            return []
        return [("Referrals", reverse("programs:community_responders:referrals"))]

    def outcome_reports(self) -> list[OutcomeReport]:
        return [
            OutcomeReport(
                key="referrals",
                title="Referrals: how the loop closed",
                outcomes=ENDED,
                count=count_ended,
                rate=(ReferralStatus.ATTENDED.value, "Loop closed (attended)"),
                note="Referrals to partner services that ended in the period, by how they ended; a program filter "
                "keeps the referrals made on its teams' calls.",
            )
        ]

    def person_timeline(self, person) -> list[TimelineItem]:
        now = timezone.now()
        url = reverse("programs:community_responders:referrals")
        return [
            TimelineItem(
                at=r.status_changed_at,
                kind="referral",
                title=f"Referral to {r.agency}: {r.service} (call #{r.call_id})",
                status=r.get_status_display(),
                url=f"{url}#referral-{r.pk}" if r.is_open else "",
                open=r.is_open,
                overdue=r.is_overdue(now),
            )
            for r in Referral.objects.filter(call__person=person).order_by("pk")
        ]

    def caseload_items(self, user, *, until) -> list[CareItem]:
        from . import selectors

        if not selectors.may_list_referrals(user):
            return []
        qs = Referral.objects.filter(status__in=OPEN_STATUSES, due_at__lt=until)
        if not permissions.is_care_supervisor.test(user):
            # One's own referrals, and the unowned ones of one's team's calls.
            qs = qs.filter(Q(owner=user) | Q(owner__isnull=True, call__team_id=permissions.active_team_id(user)))
        return [_care_item(r) for r in qs.select_related("call__person", "call__team", "owner")]

    def stalled_items(self, *, now) -> list[CareItem]:
        qs = Referral.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now)
        return [_care_item(r) for r in qs.select_related("call__person", "call__team", "owner")]


def _care_item(r: Referral) -> CareItem:
    """A referral's owner closes the loop; with no owner, the team of its call does."""
    person, team = r.call.person, r.call.team
    return CareItem(
        key=f"community_responders.referral:{r.pk}:{r.status}:{r.due_at.isoformat()}",
        kind="referral",
        program="Referrals",
        title=f"Referral to {r.agency}: {r.service} ({r.get_status_display().lower()})"
        + (f" for {person}" if person else ""),
        due_at=r.due_at,
        url=reverse("programs:community_responders:referrals") + f"#referral-{r.pk}",
        person_id=person.pk if person else None,
        person_name=str(person) if person else "",
        owner_id=r.owner_id,
        owner_name=(r.owner.get_full_name() or r.owner.get_username()) if r.owner else "",
        team_id=team.pk if team else None,
        team_name=team.name if team else "",
    )
