from django.urls import path

from programs.plugins import Assessment, CallFacts, ProgramPlugin, TeamFacts

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

    def urls(self) -> list:
        from .api import StayCreate

        return [path("stays/", StayCreate.as_view(), name="stay-create")]
