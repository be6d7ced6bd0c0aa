"""The FACT program's plug-in: its routing rules, and its enrolled clients as a caseload column."""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Count, Q
from django.utils import timezone

from programs.plugins import ProgramPlugin, ReportColumn, TimelineItem

from .models import Enrollment
from .routing import FactRouting


def enrolled_clients(*, team_ids, start_at, end_at, end_date) -> dict[int, int]:
    """Open enrollments per team on the last day of the range."""
    return dict(
        Enrollment.objects.filter(team_id__in=team_ids, enrolled_on__lte=end_date)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gt=end_date))
        .values_list("team")
        .annotate(n=Count("id"))
        .order_by()
    )


class FactPlugin(FactRouting, ProgramPlugin):
    def report_columns(self) -> list[ReportColumn]:
        return [
            ReportColumn(
                report="caseload",
                key="enrolled",
                label="Enrolled clients (FACT)",
                compute=enrolled_clients,
                note="Enrolled: open FACT enrollments on the last day of the range.",
            )
        ]

    def person_timeline(self, person) -> list[TimelineItem]:
        def at(day):
            return timezone.make_aware(datetime.combine(day, time.min))

        items = []
        for e in Enrollment.objects.filter(person=person).select_related("team").order_by("pk"):
            items.append(
                TimelineItem(
                    at=at(e.enrolled_on),
                    kind="enrolment",
                    title=f"Enrolled with FACT team {e.team.name}",
                    status="enrolled" if e.discharged_on is None else "",
                    open=e.discharged_on is None,
                )
            )
            if e.discharged_on is not None:
                items.append(
                    TimelineItem(
                        at=at(e.discharged_on),
                        kind="enrolment",
                        title=f"Discharged from {e.team.name}",
                        status="discharged",
                    )
                )
        return items
