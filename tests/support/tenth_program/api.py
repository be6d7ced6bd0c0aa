from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.api import require_any_perm
from crisis.models import Person
from responders.models import Team

from . import services


class StayInput(serializers.Serializer):
    person = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    team = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class StayCreate(APIView):
    # The role first (403 before any 400); which team, the one permission source decides in the service.
    permission_classes = [require_any_perm("responders.update_own_team", "dispatch.assign_call")]

    def post(self, request):
        ser = StayInput(data=request.data)
        ser.is_valid(raise_exception=True)
        team = get_object_or_404(Team, pk=ser.validated_data["team"])
        person = get_object_or_404(Person, pk=ser.validated_data["person"])
        stay = services.respite_stay_create(person=person, team=team, by=request.user, note=ser.validated_data["note"])
        return Response({"id": stay.pk}, status=201)
