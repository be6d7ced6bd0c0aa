"""The integrations' API: EIDO import/export for a CAD, the webhook delivery log and replay for administrators."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.api import Pagination, require_perms
from crisis.parsers import StrictJSONParser
from dispatch.models import Call

from . import eido, hmis, webhooks
from .models import Delivery
from .serializers import (
    DeliveryFilterSerializer,
    DeliveryPageSerializer,
    DeliverySerializer,
    EidoImportResultSerializer,
    HmisExportParamsSerializer,
)


class EidoParser(StrictJSONParser):
    media_type = eido.MEDIA_TYPE


class EidoRenderer(JSONRenderer):
    media_type = eido.MEDIA_TYPE
    format = "eido"


# The EIDO document as the OpenAPI schema shows it: the envelope and the incident's mandatory elements. The full
# JSON schema (NENA-STA-021.1a) is integrations/schemas/eido-1.0.schema.json, which every document is checked with.
EIDO_OPENAPI = {
    "type": "object",
    "description": "NENA EIDO (NENA-STA-021.1a) JSON; checked with integrations/schemas/eido-1.0.schema.json",
    "required": ["$id", "lastUpdateTimeStamp", "incidentComponent"],
    "properties": {
        "$id": {"type": "string"},
        "lastUpdateTimeStamp": {"type": "string", "format": "date-time"},
        "incidentComponent": {
            "type": "object",
            "required": ["$id", "incidentTrackingIdentifier", "incidentTypeCommonRegistryText"],
            "properties": {
                "$id": {"type": "string"},
                "incidentTrackingIdentifier": {"type": "string"},
                "incidentTypeCommonRegistryText": {"type": "string"},
            },
        },
        "locationComponent": {"type": "array", "items": {"type": "object"}},
        "personComponent": {"type": "array", "items": {"type": "object"}},
        "notesComponent": {"type": "array", "items": {"type": "object"}},
        "agencyComponent": {"type": "array", "items": {"type": "object"}},
    },
}


class EidoIncidentImport(APIView):
    """A 911 CAD sends an incident; it becomes a call (idempotent on incidentTrackingIdentifier)."""

    permission_classes = [require_perms("integrations.exchange_eido")]
    parser_classes = [EidoParser, StrictJSONParser]

    @extend_schema(
        operation_id="eido_incident_import",
        request={eido.MEDIA_TYPE: EIDO_OPENAPI, "application/json": EIDO_OPENAPI},
        responses={
            201: EidoImportResultSerializer,
            200: OpenApiResponse(EidoImportResultSerializer, description="Imported before: the same call"),
        },
    )
    def post(self, request):
        call, created = eido.incident_import(document=request.data, by=request.user)
        body = {"call_id": call.pk, "created": created, "incident_id": call.cad_incident.incident_id}
        return Response(body, status=201 if created else 200)


class EidoCallExport(APIView):
    """Any call as an EIDO document. Each export is an accounting-of-disclosures row."""

    permission_classes = [require_perms("integrations.exchange_eido")]
    renderer_classes = [EidoRenderer, JSONRenderer]

    @extend_schema(operation_id="eido_call_export", responses={200: EIDO_OPENAPI})
    def get(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        return Response(eido.call_export(call=call, by=request.user))


class DeliveryList(APIView):
    """The webhook delivery log, newest first."""

    permission_classes = [require_perms("integrations.view_delivery")]

    @extend_schema(
        parameters=[DeliveryFilterSerializer],
        responses={200: DeliveryPageSerializer},
    )
    def get(self, request):
        filters = DeliveryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = Delivery.objects.select_related("endpoint__partner").order_by("-id")
        if "status" in filters.validated_data:
            qs = qs.filter(status=filters.validated_data["status"])
        if "endpoint" in filters.validated_data:
            qs = qs.filter(endpoint_id=filters.validated_data["endpoint"])
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(DeliverySerializer(page, many=True).data)


class DeliveryReplay(APIView):
    permission_classes = [require_perms("integrations.replay_delivery")]

    @extend_schema(
        request=None,
        responses={201: DeliverySerializer},
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH)],
    )
    def post(self, request, pk: int):
        delivery = get_object_or_404(Delivery, pk=pk)
        replay = webhooks.delivery_replay(delivery=delivery, by=request.user)
        return Response(DeliverySerializer(replay).data, status=201)


class HmisExport(APIView):
    """The HUD HMIS CSV files (FY2024) for a period, zipped: outreach and stabilization programs."""

    permission_classes = [require_perms("integrations.export_hmis")]

    @extend_schema(
        operation_id="hmis_export",
        parameters=[HmisExportParamsSerializer],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request):
        params = HmisExportParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        start, end = params.validated_data["start"], params.validated_data["end"]
        content = hmis.hmis_export(start=start, end=end, by=request.user)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="hmis-{start.isoformat()}-{end.isoformat()}.zip"'
        return response
