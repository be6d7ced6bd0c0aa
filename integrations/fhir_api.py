"""/fhir/: referrals as FHIR R4 ServiceRequest and Task, for a partner's system (application/fhir+json)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.api import require_perms
from crisis.parsers import StrictJSONParser
from programs.community_responders.models import Referral

from . import fhir


class FhirParser(StrictJSONParser):
    media_type = fhir.MEDIA_TYPE


class JsonPatchParser(StrictJSONParser):
    media_type = "application/json-patch+json"


class FhirRenderer(JSONRenderer):
    media_type = fhir.MEDIA_TYPE
    format = "fhir"


_REFERENCE = {"type": "object", "properties": {"reference": {"type": "string"}, "display": {"type": "string"}}}
SERVICE_REQUEST = {
    "type": "object",
    "description": "FHIR R4 ServiceRequest (Gravity SDOH Clinical Care: SDOHCC-ServiceRequest)",
    "required": ["resourceType", "id", "status", "intent", "subject"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["ServiceRequest"]},
        "id": {"type": "string"},
        "meta": {"type": "object"},
        "status": {"type": "string", "enum": ["active", "completed", "revoked"]},
        "intent": {"type": "string"},
        "code": {"type": "object"},
        "subject": _REFERENCE,
        "authoredOn": {"type": "string"},
        "requester": _REFERENCE,
        "performer": {"type": "array", "items": _REFERENCE},
    },
}
TASK = {
    "type": "object",
    "description": "FHIR R4 Task (Gravity SDOH Clinical Care: SDOHCC-TaskForReferralManagement)",
    "required": ["resourceType", "status", "intent"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["Task"]},
        "id": {"type": "string"},
        "meta": {"type": "object"},
        "status": {"type": "string", "enum": list(fhir.TASK_STATUSES)},
        "businessStatus": {"type": "object"},
        "intent": {"type": "string"},
        "code": {"type": "object"},
        "focus": _REFERENCE,
        "for": _REFERENCE,
        "authoredOn": {"type": "string"},
        "lastModified": {"type": "string"},
        "owner": _REFERENCE,
        "note": {"type": "array", "items": {"type": "object", "properties": {"text": {"type": "string"}}}},
    },
}
JSON_PATCH = {
    "type": "array",
    "description": "RFC 6902 JSON Patch on the Task, top-level members only, e.g. replace /status",
    "items": {
        "type": "object",
        "required": ["op", "path"],
        "properties": {
            "op": {"type": "string", "enum": ["replace", "add", "remove", "test"]},
            "path": {"type": "string"},
            "value": {},
        },
    },
}


class _FhirView(APIView):
    permission_classes = [require_perms("integrations.exchange_fhir")]
    renderer_classes = [FhirRenderer, JSONRenderer]

    def referral(self, pk: int) -> Referral:
        return get_object_or_404(Referral.objects.select_related("call"), pk=pk)


class FhirServiceRequest(_FhirView):
    @extend_schema(operation_id="fhir_service_request_read", responses={200: SERVICE_REQUEST})
    def get(self, request, pk: int):
        return Response(fhir.referral_read(referral=self.referral(pk), by=request.user, resource="ServiceRequest"))


class FhirTask(_FhirView):
    parser_classes = [FhirParser, JsonPatchParser, StrictJSONParser]

    @extend_schema(operation_id="fhir_task_read", responses={200: TASK})
    def get(self, request, pk: int):
        return Response(fhir.referral_read(referral=self.referral(pk), by=request.user, resource="Task"))

    @extend_schema(
        operation_id="fhir_task_update",
        request={fhir.MEDIA_TYPE: TASK, "application/json": TASK},
        responses={200: TASK},
        examples=[
            OpenApiExample(
                "Accept the referral", value={"resourceType": "Task", "status": "accepted", "intent": "order"}
            )
        ],
    )
    def put(self, request, pk: int):
        return Response(fhir.task_update(referral=self.referral(pk), resource=request.data, by=request.user))

    @extend_schema(
        operation_id="fhir_task_patch",
        request={"application/json-patch+json": JSON_PATCH, "application/json": JSON_PATCH},
        responses={200: TASK},
    )
    def patch(self, request, pk: int):
        referral = self.referral(pk)
        current = fhir.task_for_patch(referral=referral, by=request.user)
        patched = fhir.apply_json_patch(current, request.data)
        return Response(fhir.task_update(referral=referral, resource=patched, by=request.user))
