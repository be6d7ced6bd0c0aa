from programs.plugins import Assessment, CallFacts, TeamFacts

# A team that can open a shelter bed or a housing referral on scene is worth
# a somewhat longer drive for a person experiencing homelessness.
HOUSING_PARTNER_BONUS_SECONDS = 10 * 60
HOMELESS_LOCATIONS = ("encampment", "shelter")


class OutreachRouting:
    """Cross-system homeless outreach: housing partners, and the contacts that connect people to them."""

    def call_facts(self, call) -> dict:
        homeless = (
            bool(call.person and call.person.experiencing_homelessness)
            or call.location_type in HOMELESS_LOCATIONS
            or call.call_type == "homelessness"
        )
        return {"person_homeless": homeless}

    def team_facts(self, team) -> dict:
        return {"has_housing_partners": team.program.has_housing_partners}

    def assess(self, call: CallFacts, team: TeamFacts) -> Assessment | None:
        if call.extra.get("person_homeless") and team.extra.get("has_housing_partners"):
            return Assessment(
                bonus_seconds=HOUSING_PARTNER_BONUS_SECONDS,
                note="Team has housing partners; person is experiencing homelessness",
            )
        return None
