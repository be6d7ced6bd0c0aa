from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import require_perms
from .models import Person
from .people import person_record_view


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = [
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "description",
            "preferred_language",
            "experiencing_homelessness",
            "known_weapons_access",
            "history_of_violence",
            "mental_health_history",
        ]


class PersonDetail(APIView):
    permission_classes = [require_perms("crisis.view_person_record")]

    @extend_schema(responses=PersonSerializer)
    def get(self, request, pk: int):
        person = person_record_view(person_id=pk, by=request.user, purpose=request.query_params.get("purpose", ""))
        return Response(PersonSerializer(person).data)
