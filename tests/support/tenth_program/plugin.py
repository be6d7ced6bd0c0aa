from django.db.models import Count
from django.urls import path

from programs.plugins import Assessment, CallFacts, ProgramPlugin, ReportColumn, TeamFacts

KIND = "peer_respite"


class PeerRespitePlugin(ProgramPlugin):
    app_label = "tenth_program"
    kinds = ((KIND, "Peer respite (test-only)"),)

    def team_facts(self, team) -> dict:
        return {"respite_beds": 3 if team.program.kind == KIND else 0}

    def assess(self, call: CallFacts, team: TeamFacts) -> Assessment | None:
        # A respite team with a free bed goes first for a person who asked for a place to stay.
        if call.call_type == "welfare_check" and team.extra.get("respite_beds"):
            return Assessment(first=True, note="Peer respite bed available")
        return None

    def report_columns(self) -> list[ReportColumn]:
        return [
            ReportColumn(
                report="caseload",
                key="respite_stays",
                label="Respite stays (test program)",
                compute=respite_stays,
                note="Respite stays: stays begun in the range.",
            )
        ]

    def urls(self) -> list:
        from .api import StayCreate

        return [path("stays/", StayCreate.as_view(), name="stay-create")]

    def person_merge(self, *, keep, merge) -> dict[str, list[int]]:
        from crisis.people import move_references

        from .models import RespiteStay

        return move_references(RespiteStay, "person", keep=keep, merge=merge)


def respite_stays(*, team_ids, start_at, end_at, end_date) -> dict[int, int]:
    from .models import RespiteStay

    return dict(
        RespiteStay.objects.filter(team_id__in=team_ids, started_at__gte=start_at, started_at__lt=end_at)
        .values_list("team")
        .annotate(n=Count("id"))
        .order_by()
    )
