"""The diversion API: the CAD's transfer (idempotent on its incident number) and the console's snapshot."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.api import require_any_perm, require_perms
from programs.plugins import call_desk

from . import selectors, services
from .rows import diversion_row


class TransferInput(serializers.Serializer):
    incident_id = serializers.CharField(max_length=services.INCIDENT_MAX, help_text="The CAD's incident number.")
    address = serializers.CharField(max_length=255)
    nature = serializers.CharField(max_length=200)
    call_type = serializers.ChoiceField(choices=call_desk().call_types(), default="mental_health")
    caller_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    callback_number = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    latitude = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    narrative = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class WhoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DiversionRowSerializer(serializers.Serializer):
    """Documents `rows.diversion_row` (tests check the two agree)."""

    id = serializers.IntegerField()
    cad_incident_id = serializers.CharField()
    call_id = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    nature = serializers.CharField()
    address = serializers.CharField()
    caller_name = serializers.CharField(allow_blank=True)
    callback_number = serializers.CharField(allow_blank=True)
    transferred_at = serializers.DateTimeField()
    clinician = WhoSerializer(allow_null=True)
    taken_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    tier = serializers.CharField(allow_blank=True)
    url = serializers.CharField()
    version = serializers.IntegerField()


class ConsoleSnapshotSerializer(serializers.Serializer):
    epoch = serializers.CharField()
    seq = serializers.DictField(child=serializers.IntegerField())
    now = serializers.DateTimeField()
    me = WhoSerializer()
    diversions = DiversionRowSerializer(many=True)


class Transfer(APIView):
    """A call transferred from the 911 CAD to the diversion clinicians. Idempotent on `incident_id`: the same
    number again answers 200 with the first transfer, unchanged. Called with a call-desk token or a CAD
    partner's own token (the integration role)."""

    # The role gate; the service's predicate adds that a partner account's partner must be active.
    permission_classes = [require_any_perm("dispatch.add_call", "integrations.exchange_eido")]

    @extend_schema(
        request=TransferInput,
        responses={
            201: DiversionRowSerializer,
            200: OpenApiResponse(DiversionRowSerializer, description="Already transferred: the first transfer."),
        },
    )
    def post(self, request):
        ser = TransferInput(data=request.data)
        ser.is_valid(raise_exception=True)
        diversion, created = services.diversion_transfer(by=request.user, **ser.validated_data)
        return Response(diversion_row(diversion), status=201 if created else 200)


class ConsoleSnapshot(APIView):
    permission_classes = [require_perms("diversion.work_diversion")]

    @extend_schema(responses=ConsoleSnapshotSerializer)
    def get(self, request):
        return Response(selectors.console_snapshot(request.user))
