from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import permissions
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
            "history_url",
        ]

    # Mental-health history is not part of the record: it is read only through the consent-scoped lookup
    # (crisis/history: a stated purpose, the person's consent or break-the-glass, Part 2 apart), so this
    # says where that lookup is, and only to a role that may use it.
    history_url = serializers.SerializerMethodField(
        help_text="The consent-scoped history lookup for this person (null when your role may not use it)."
    )

    def get_history_url(self, person) -> str | None:
        request = self.context.get("request")
        if request is None or not permissions.may_search_history.test(request.user):
            return None
        return reverse("history:person", args=[person.pk])


class PersonDetail(APIView):
    permission_classes = [require_perms("crisis.view_person_record")]

    @extend_schema(responses=PersonSerializer)
    def get(self, request, pk: int):
        person = person_record_view(person_id=pk, by=request.user, purpose=request.query_params.get("purpose", ""))
        return Response(PersonSerializer(person, context={"request": request}).data)
