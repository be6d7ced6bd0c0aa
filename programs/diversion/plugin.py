"""The 911 dispatch diversion program's plug-in: its console, API and socket, and its part of a person's story."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Value
from django.urls import reverse

from crisis import permissions
from programs.community_responders.models import Referral
from programs.plugins import CallCohort, OutcomeReport, ProgramPlugin, TimelineItem, count_per_period

from .models import Diversion, DiversionStatus

REFERRED = "referred"
RESULTS = (
    (DiversionStatus.RESOLVED.value, "Resolved by phone"),
    (REFERRED, "Referred to a partner"),
    (DiversionStatus.ESCALATED.value, "Escalated (field team or 911)"),
)


def count_results(*, start_at, end_at, period: str, tz, program_id: int | None):
    """Diverted calls by the period they ended in: resolved by phone or escalated, and those referred."""
    if program_id is not None:
        return []  # diversions are the 911 centre's, not a program's
    ended = Diversion.objects.filter(
        status__in=(DiversionStatus.RESOLVED, DiversionStatus.ESCALATED), ended_at__gte=start_at, ended_at__lt=end_at
    )
    # "Referred" is a column beside the status ones, counted over the same diversions (one may be both).
    referred = ended.filter(Exists(Referral.objects.filter(call_id=OuterRef("call_id")))).annotate(
        result=Value(REFERRED)
    )
    return count_per_period(ended, at="ended_at", by="status", period=period, tz=tz) + count_per_period(
        referred, at="ended_at", by="result", period=period, tz=tz
    )


def diverted(call_ids) -> set[int]:
    """Which of these calls the 911 centre diverted to its clinician (a transfer from the CAD).

    `call_ids` may be a queryset of call ids: it stays a subquery (a year's ids as parameters took 22 s at
    1,000,000 calls)."""
    if not hasattr(call_ids, "query"):  # a queryset stays a subquery; any other iterable becomes a list
        call_ids = list(call_ids)
    return set(Diversion.objects.filter(call_id__in=call_ids).values_list("call_id", flat=True))


class DiversionPlugin(ProgramPlugin):
    app_label = "diversion"

    def call_cohorts(self) -> list[CallCohort]:
        return [CallCohort(key="diverted", label="Diverted from police dispatch (911 diversion)", members=diverted)]

    def outcome_reports(self) -> list[OutcomeReport]:
        return [
            OutcomeReport(
                key="diversions",
                title="911 diversion: how diverted calls ended",
                outcomes=RESULTS,
                count=count_results,
                note="Diverted calls that ended in the period. A call resolved by phone or escalated may also have "
                "been referred: the referred column overlaps the other two. Not shown when a program is chosen.",
            )
        ]

    def urls(self) -> list:
        from .urls import urlpatterns

        return urlpatterns

    def nav_links(self, user) -> list[tuple[str, str]]:
        if not permissions.may_work_diversion.test(user):
            return []
        return [("911 diversion", reverse("programs:diversion:console"))]

    def websocket_urls(self) -> list:
        from django.urls import path

        from .consumers import DiversionConsumer

        return [path("ws/programs/diversion/", DiversionConsumer.as_asgi())]

    def person_timeline(self, person) -> list[TimelineItem]:
        return [
            TimelineItem(
                at=d.ended_at or d.transferred_at,
                kind="911 diversion",
                title=f"911 call diverted to a clinician (CAD {d.cad_incident_id})",
                status=d.get_status_display(),
                open=d.is_open,
            )
            for d in Diversion.objects.filter(call__person=person).order_by("pk")
        ]
