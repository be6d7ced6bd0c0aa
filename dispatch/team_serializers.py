from rest_framework import serializers

from responders.models import Team, TeamStatus


class TeamSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.name")
    program_kind = serializers.CharField(source="program.kind")
    skills = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()
    current_assignment = serializers.SerializerMethodField()
    location_stale = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "region",
            "program",
            "program_kind",
            "status",
            "status_changed_at",
            "latitude",
            "longitude",
            "location_reported_at",
            "location_stale",
            "version",
            "skills",
            "members",
            "current_assignment",
        ]

    def get_skills(self, team) -> dict:
        members = list(team.members.all())
        return {
            "credentials": sorted({m.credential for m in members}),
            "languages": sorted({lang for m in members for lang in (m.languages or [])}),
            "specialties": sorted({s for m in members for s in (m.specialties or [])}),
        }

    def get_members(self, team) -> list[dict]:
        return [
            {"name": m.user.get_full_name() or m.user.username, "credential": m.credential} for m in team.members.all()
        ]

    def get_current_assignment(self, team) -> dict | None:
        active = getattr(team, "active_assignments", None)
        if not active:
            return None
        a = active[0]
        return {
            "id": a.pk,
            "call": a.call_id,
            "status": a.status,
            "expires_at": a.expires_at.isoformat() if a.expires_at else None,
        }

    def get_location_stale(self, team) -> bool:
        return team.location_is_stale(self.context["now"])


class TeamStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TeamStatus.choices)
    latitude = serializers.FloatField(required=False, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)
    expected_version = serializers.IntegerField(required=False, min_value=0)

    def validate(self, data):
        if ("latitude" in data) != ("longitude" in data):
            raise serializers.ValidationError({"longitude": "Give both latitude and longitude, or neither."})
        return data


class LocationInputSerializer(serializers.Serializer):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
