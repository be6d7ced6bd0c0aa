"""The homeless outreach program's plug-in: its routing rules, and the people it engaged as a caseload column."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse

from crisis import permissions
from crisis.people import move_references
from programs.plugins import ProgramPlugin, ReportColumn, TimelineItem

from .models import OutreachContact, SharingConsent
from .routing import OutreachRouting


def people_engaged(*, team_ids, start_at, end_at, end_date) -> dict[int, int]:
    """Distinct people each team contacted in the range."""
    return dict(
        OutreachContact.objects.filter(team_id__in=team_ids, at__gte=start_at, at__lt=end_at)
        .values_list("team")
        .annotate(n=Count("person", distinct=True))
        .order_by()
    )


class OutreachPlugin(OutreachRouting, ProgramPlugin):
    app_label = "homeless_outreach"

    def urls(self) -> list:
        from .urls import urlpatterns

        return urlpatterns

    def nav_links(self, user) -> list[tuple[str, str]]:
        if permissions.may_see_by_name_list.test(user):
            return [("By-name list", reverse("programs:homeless_outreach:list"))]
        return []

    def report_columns(self) -> list[ReportColumn]:
        return [
            ReportColumn(
                report="caseload",
                key="engaged",
                label="People engaged (outreach)",
                compute=people_engaged,
                note="Engaged: distinct people an outreach team contacted in the range.",
            )
        ]

    def person_timeline(self, person) -> list[TimelineItem]:
        return [
            TimelineItem(
                at=c.at,
                kind="outreach contact",
                title=f"Outreach contact by {c.met_by}"
                + (f" (housing: {c.housing_partner})" if c.housing_partner else ""),
                status=c.get_outcome_display(),
            )
            for c in OutreachContact.objects.filter(person=person).select_related("team", "partner").order_by("pk")
        ]

    def person_merge(self, *, keep, merge) -> dict[str, list[int]]:
        # The duplicate's consents to share are the same person's: they move with the contacts (else the merge
        # is refused while any consent points at the duplicate).
        return move_references(OutreachContact, "person", keep=keep, merge=merge) | move_references(
            SharingConsent, "person", keep=keep, merge=merge
        )
