"""REST for the live screens: snapshots to (re)synchronise from, notes, SOS. Thin edges over services."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis import audit, permissions
from crisis.api import require_perms
from responders.models import SosAlert, Team

from . import live, live_serializers, services
from .models import Call
from .serializers import NoteSerializer


class BoardSnapshot(APIView):
    """Everything a dispatch board shows, with the sequence numbers it is current to."""

    permission_classes = [require_perms("dispatch.view_queue")]

    @extend_schema(responses=live_serializers.BoardSnapshotSerializer)
    def get(self, request):
        body = live.board_snapshot(request.user)
        # One row per snapshot, naming every call shown: the board is polled, one row per call would not scale.
        audit.record(actor=request.user, action="dispatch.board.viewed", calls=[c["id"] for c in body["calls"]])
        return Response(body)


class MyTeamSnapshot(APIView):
    """A responder's phone: team, offer or assignment with the call's details and risk flags."""

    permission_classes = [require_perms("responders.update_own_team")]

    @extend_schema(responses=live_serializers.MyTeamSnapshotSerializer)
    def get(self, request):
        body = live.my_team_snapshot(request.user)
        audit.record(
            actor=request.user,
            action="dispatch.my_team.viewed",
            team=body["team"]["id"] if body["team"] else None,
            calls=[body["call"]["id"]] if body["call"] else [],
        )
        return Response(body)


class CallNotes(APIView):
    """Add a note to a call's timeline: the dispatch desk, or the team working the call."""

    @extend_schema(request=NoteSerializer, responses={201: live_serializers.NoteCreatedSerializer})
    def post(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        user = request.user
        permissions.require(
            permissions.may_note_call,
            user,
            call,
            "Only the dispatch desk or the assigned team can add notes to this call.",
        )
        ser = NoteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        event = services.call_add_note(call=call, by=user, text=ser.validated_data["text"])
        return Response({"at": event.at.isoformat(), "by": event.actor_label, "text": event.detail["text"]}, status=201)


class SosInputSerializer(drf.Serializer):
    latitude = drf.FloatField(required=False, min_value=-90, max_value=90)
    longitude = drf.FloatField(required=False, min_value=-180, max_value=180)

    def validate(self, data):
        if ("latitude" in data) != ("longitude" in data):
            raise drf.ValidationError({"longitude": "Give both latitude and longitude, or neither."})
        return data


class TeamSos(APIView):
    """The emergency button: only a member of the team can press it."""

    permission_classes = [require_perms("responders.update_own_team")]

    @extend_schema(request=SosInputSerializer, responses={201: live_serializers.AlertRowSerializer})
    def post(self, request, pk: int):
        team = get_object_or_404(Team, pk=pk)
        permissions.require(
            permissions.may_raise_sos, request.user, team, "You can raise an alert only for your own team."
        )
        ser = SosInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        alert = services.team_raise_sos(team=team, by=request.user, **ser.validated_data)
        return Response(services.alert_summary(alert), status=201)


class AlertAcknowledge(APIView):
    permission_classes = [require_perms("dispatch.assign_call")]

    @extend_schema(request=None, responses=live_serializers.AlertRowSerializer)
    def post(self, request, pk: int):
        alert = get_object_or_404(SosAlert, pk=pk)
        alert = services.alert_acknowledge(alert=alert, by=request.user)
        return Response(services.alert_summary(alert))
