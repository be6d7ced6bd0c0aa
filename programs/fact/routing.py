from programs.models import ProgramKind
from programs.plugins import Assessment, CallFacts, TeamFacts

from .models import Enrollment


class FactRouting:
    """Continuity of care: a FACT client's own team goes first, and FACT teams
    keep their small caseload by answering only their own clients."""

    def call_facts(self, call) -> dict:
        if not call.person_id:
            return {"fact_team_ids": frozenset()}
        ids = Enrollment.objects.filter(person_id=call.person_id, discharged_on__isnull=True).values_list(
            "team_id", flat=True
        )
        return {"fact_team_ids": frozenset(ids)}

    def assess(self, call: CallFacts, team: TeamFacts) -> Assessment | None:
        enrolled_with = call.extra.get("fact_team_ids", frozenset())
        if team.team_id in enrolled_with:
            return Assessment(first=True, note="Person is enrolled with this FACT team (continuity of care)")
        if team.program_kind == ProgramKind.FACT:
            return Assessment(ineligible="FACT team answers only its enrolled clients")
        return None
