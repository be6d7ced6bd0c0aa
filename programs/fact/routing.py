from django.utils import timezone

from programs.models import ProgramKind
from programs.plugins import Assessment, CallFacts, TeamFacts

from .models import Enrollment, OnCallShift

# Frozen, so one instance serves every FACT team a call is not enrolled with (a routing run asks for each).
_NOT_ENROLLED = Assessment(ineligible="FACT team answers only its enrolled clients")
# Read once per call × team pair (1,000 a run): the plain value, not the enum member's class lookup.
_FACT, _NONE = ProgramKind.FACT.value, frozenset()


class FactRouting:
    """Continuity of care: a FACT client's own team goes first, and FACT teams
    keep their small caseload by answering only their own clients.

    FACT answers its clients 24/7: after hours (outside the FACT program's opening hours, Program.opens_at /
    closes_at, local time) the team's on-call member carries its phone, so the client's own team stays
    eligible while a shift of its rota covers now. No shift now: the closed program is ineligible as any other,
    and the call goes to whoever else serves it."""

    def call_facts(self, call) -> dict:
        if not call.person_id:
            return {"fact_team_ids": frozenset(), "fact_on_call_team_ids": frozenset()}
        ids = frozenset(
            Enrollment.objects.filter(person_id=call.person_id, discharged_on__isnull=True).values_list(
                "team_id", flat=True
            )
        )
        now = timezone.now()
        on_call = (
            frozenset(
                OnCallShift.objects.filter(team_id__in=ids, starts_at__lte=now, ends_at__gt=now).values_list(
                    "team_id", flat=True
                )
            )
            if ids
            else frozenset()
        )
        return {"fact_team_ids": ids, "fact_on_call_team_ids": on_call}

    def assess(self, call: CallFacts, team: TeamFacts) -> Assessment | None:
        enrolled_with = call.extra.get("fact_team_ids", _NONE)
        if team.team_id in enrolled_with:
            if not team.open_now and team.team_id in call.extra.get("fact_on_call_team_ids", _NONE):
                return Assessment(
                    first=True,
                    after_hours=True,
                    note="After hours: the FACT team's on-call member answers its own client",
                )
            return Assessment(first=True, note="Person is enrolled with this FACT team (continuity of care)")
        if team.program_kind == _FACT:
            return _NOT_ENROLLED
        return None
