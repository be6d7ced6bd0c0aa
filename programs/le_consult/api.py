"""The consult API: thin edges. The role is checked first (403 before any 400); which consult, the service asks
the one permission source."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis import permissions
from crisis.api import require_any_perm, require_perms
from crisis.models import Person

from . import selectors, services
from .models import Consult, Need, Outcome
from .rows import consult_row

MAX_ID = 2**31 - 1
_ANSWER = "le_consult.answer_consult"
_REQUEST = "le_consult.request_consult"
_FOLLOW = require_any_perm(_REQUEST, _ANSWER, "le_consult.supervise_consult")


class ConsultPersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ConsultWhoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ConsultOfficerPlanSerializer(serializers.Serializer):
    triggers = serializers.CharField()
    what_helps = serializers.CharField()
    who_to_call = serializers.CharField()


class ConsultMessageRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    author = ConsultWhoSerializer()
    text = serializers.CharField()


class ConsultActionsSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    message = serializers.BooleanField()
    close = serializers.BooleanField()
    cancel = serializers.BooleanField()
    link_person = serializers.BooleanField()
    video = serializers.BooleanField()
    send_team = serializers.BooleanField()


class ConsultTeamSerializer(serializers.Serializer):
    """The call opened when the clinician sent a team, as the officer follows it (rows.team_state)."""

    call_id = serializers.IntegerField()
    call_status = serializers.CharField()
    call_status_label = serializers.CharField()
    call_open = serializers.BooleanField()
    team_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_blank=True, help_text="The team coming; blank while none has the call.")
    accepted = serializers.BooleanField(help_text="False while the team is only offered the call.")
    eta_at = serializers.DateTimeField(allow_null=True, help_text="When the team should arrive.")
    eta_source = serializers.CharField(allow_blank=True, help_text='"position", "routing" or blank.')
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    located_at = serializers.DateTimeField(allow_null=True)
    arrived_at = serializers.DateTimeField(allow_null=True)


class ConsultVideoSerializer(serializers.Serializer):
    url = serializers.CharField()
    live = serializers.BooleanField()
    connected = serializers.BooleanField()
    seconds = serializers.IntegerField(help_text="Seconds the officer and the clinician were on video together.")
    consent = serializers.CharField(allow_blank=True, help_text='"agreed", "not_obtained", or blank: not recorded.')
    consent_label = serializers.CharField(allow_blank=True)
    consent_reason = serializers.CharField(allow_blank=True)


class ConsultRowSerializer(serializers.Serializer):
    """Documents `rows.consult_row` (tests check the two agree)."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    need = serializers.ChoiceField(choices=Need.choices)
    need_label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    officer = ConsultWhoSerializer()
    clinician = ConsultWhoSerializer()
    backup = ConsultWhoSerializer()
    assigned_to = ConsultWhoSerializer(allow_null=True)
    requested_at = serializers.DateTimeField()
    escalate_at = serializers.DateTimeField(allow_null=True)
    escalated_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(allow_blank=True)
    outcome_label = serializers.CharField(allow_blank=True)
    outcome_note = serializers.CharField(allow_blank=True)
    person = ConsultPersonRefSerializer(allow_null=True)
    officer_plan = ConsultOfficerPlanSerializer(allow_null=True)
    messages = ConsultMessageRowSerializer(many=True)
    video = ConsultVideoSerializer()
    team = ConsultTeamSerializer(allow_null=True)
    actions = ConsultActionsSerializer()
    version = serializers.IntegerField()


class ConsultAlertRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    by = serializers.CharField()
    person_id = serializers.IntegerField()
    person = serializers.CharField(allow_blank=True)
    purpose = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)


class ConsultMeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    supervisor = serializers.BooleanField()


class ConsultSnapshotSettingsSerializer(serializers.Serializer):
    escalate_seconds = serializers.IntegerField()


class ConsultSnapshotSerializer(serializers.Serializer):
    epoch = serializers.CharField()
    seq = serializers.DictField(child=serializers.IntegerField())
    now = serializers.DateTimeField()
    me = ConsultMeSerializer()
    consults = ConsultRowSerializer(many=True)
    alerts = ConsultAlertRowSerializer(many=True)
    settings = ConsultSnapshotSettingsSerializer()


class ConsultRequestInput(serializers.Serializer):
    need = serializers.ChoiceField(choices=Need.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    latitude = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    accuracy_m = serializers.FloatField(required=False, allow_null=True, default=None, min_value=0, max_value=1e6)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class MessageInput(serializers.Serializer):
    text = serializers.CharField(max_length=services.MESSAGE_MAX)


class CloseInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.NOTE_MAX)


class LinkPersonInput(serializers.Serializer):
    person = serializers.IntegerField(min_value=1, max_value=MAX_ID)


def _row(consult: Consult, status: int = 200) -> Response:
    consult = selectors.with_rows(Consult.objects.filter(pk=consult.pk)).get()
    return Response(consult_row(consult), status=status)


class ConsultSnapshot(APIView):
    """The consults this user follows, with the sequence numbers the snapshot is current to."""

    permission_classes = [_FOLLOW]

    @extend_schema(responses=ConsultSnapshotSerializer)
    def get(self, request):
        return Response(selectors.consult_snapshot(request.user))


class ConsultCreate(APIView):
    """An officer requests a consult with the designated on-call clinician."""

    permission_classes = [require_perms(_REQUEST)]

    @extend_schema(request=ConsultRequestInput, responses={201: ConsultRowSerializer})
    def post(self, request):
        ser = ConsultRequestInput(data=request.data)
        ser.is_valid(raise_exception=True)
        consult = services.consult_request(by=request.user, **ser.validated_data)
        return _row(consult, 201)


class ConsultAccept(APIView):
    permission_classes = [require_perms(_ANSWER)]

    @extend_schema(request=None, responses=ConsultRowSerializer)
    def post(self, request, pk: int):
        consult = get_object_or_404(Consult, pk=pk)
        return _row(services.consult_accept(consult=consult, by=request.user))


class ConsultMessageCreate(APIView):
    permission_classes = [require_any_perm(_REQUEST, _ANSWER)]

    @extend_schema(request=MessageInput, responses={201: ConsultRowSerializer})
    def post(self, request, pk: int):
        consult = get_object_or_404(Consult, pk=pk)
        # Who may write on this consult comes before what is wrong with the body.
        permissions.require(permissions.may_message_consult, request.user, consult, services.MAY_NOT_MESSAGE)
        ser = MessageInput(data=request.data)
        ser.is_valid(raise_exception=True)
        services.consult_message(consult=consult, by=request.user, text=ser.validated_data["text"])
        return _row(consult, 201)


class ConsultClose(APIView):
    permission_classes = [require_perms(_ANSWER)]

    @extend_schema(request=CloseInput, responses=ConsultRowSerializer)
    def post(self, request, pk: int):
        consult = get_object_or_404(Consult, pk=pk)
        permissions.require(permissions.may_close_consult, request.user, consult, services.MAY_NOT_CLOSE)
        ser = CloseInput(data=request.data)
        ser.is_valid(raise_exception=True)
        return _row(services.consult_close(consult=consult, by=request.user, **ser.validated_data))


class ConsultSendTeam(APIView):
    """The clinician handling the consult sends a team to the officer (a dispatch call, routed at once)."""

    permission_classes = [require_perms(_ANSWER)]

    @extend_schema(request=None, responses=ConsultRowSerializer)
    def post(self, request, pk: int):
        consult = get_object_or_404(Consult, pk=pk)
        return _row(services.consult_request_team(consult=consult, by=request.user))


class ConsultCancel(APIView):
    permission_classes = [require_perms(_REQUEST)]

    @extend_schema(request=None, responses=ConsultRowSerializer)
    def post(self, request, pk: int):
        consult = get_object_or_404(Consult, pk=pk)
        return _row(services.consult_cancel(consult=consult, by=request.user))


class ConsultLinkPerson(APIView):
    """The clinician says who the consult is about (found through the history lookup)."""

    permission_classes = [require_perms(_ANSWER)]

    @extend_schema(request=LinkPersonInput, responses=ConsultRowSerializer)
    def post(self, request, pk: int):
        consult = get_object_or_404(Consult, pk=pk)
        permissions.require(permissions.may_close_consult, request.user, consult, services.MAY_NOT_CLOSE)
        ser = LinkPersonInput(data=request.data)
        ser.is_valid(raise_exception=True)
        person = get_object_or_404(Person, pk=ser.validated_data["person"])
        return _row(services.consult_link_person(consult=consult, person=person, by=request.user))
