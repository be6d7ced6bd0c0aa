"""The FACT program's plug-in: its routing rules, and its enrolled clients as a caseload column."""

from __future__ import annotations

from django.db.models import Count, Q

from programs.plugins import ProgramPlugin, ReportColumn

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
