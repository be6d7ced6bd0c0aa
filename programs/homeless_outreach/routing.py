from programs.plugins import Assessment, CallFacts, TeamFacts

# A team that can open a shelter bed or a housing referral on scene is worth
# a somewhat longer drive for a person experiencing homelessness.
HOUSING_PARTNER_BONUS_SECONDS = 10 * 60


class OutreachRouting:
    def call_facts(self, call) -> dict:
        return {}

    def assess(self, call: CallFacts, team: TeamFacts) -> Assessment | None:
        if call.person_homeless and team.has_housing_partners:
            return Assessment(
                bonus_seconds=HOUSING_PARTNER_BONUS_SECONDS,
                note="Team has housing partners; person is experiencing homelessness",
            )
        return None
