from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis import permissions
from crisis.api import require_perms
from responders.models import Team

from . import selectors, team_state
from . import team_serializers as serializers


def _team_data(team_id: int) -> dict:
    team = selectors.team_board().get(pk=team_id)
    return serializers.TeamSerializer(team, context={"now": timezone.now()}).data


class TeamList(APIView):
    permission_classes = [require_perms("responders.view_team")]

    @extend_schema(responses=serializers.TeamSerializer(many=True))
    def get(self, request):
        teams = selectors.team_board(region=request.query_params.get("region"))
        return Response(serializers.TeamSerializer(teams, many=True, context={"now": timezone.now()}).data)


class TeamStatusView(APIView):
    @extend_schema(request=serializers.TeamStatusInputSerializer, responses=serializers.TeamSerializer)
    def post(self, request, pk: int):
        team = get_object_or_404(Team, pk=pk)
        permissions.require(
            permissions.may_act_for_team, request.user, team, "You can change only your own team's status."
        )
        ser = serializers.TeamStatusInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        team_state.team_set_status(team=team, by=request.user, **ser.validated_data)
        return Response(_team_data(pk))


class TeamLocation(APIView):
    @extend_schema(request=serializers.LocationInputSerializer, responses=serializers.TeamSerializer)
    def post(self, request, pk: int):
        team = get_object_or_404(Team, pk=pk)
        permissions.require(
            permissions.may_act_for_team, request.user, team, "You can report only your own team's location."
        )
        ser = serializers.LocationInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        team_state.team_report_location(team=team, by=request.user, **ser.validated_data)
        return Response(_team_data(pk))
