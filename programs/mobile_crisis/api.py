"""Follow-ups over the API: the open list (an audited read) and recording a contact, as the page does."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.api import require_any_perm

from . import selectors, services
from .models import FollowUp
from .services import NEXT_STEP_MAX, NOTE_MAX

# The role first (403 before any 400): responders and supervisors. Which follow-ups, the one permission source decides.
FollowUpRoles = require_any_perm("responders.update_own_team", "responders.manage_team")


class FollowUpSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True, default=None)
    person = serializers.SerializerMethodField()
    callback_number = serializers.CharField(source="call.callback_number", read_only=True)
    address = serializers.CharField(source="call.address", read_only=True)
    overdue = serializers.SerializerMethodField()
    due_clock = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "call",
            "team",
            "team_name",
            "person",
            "callback_number",
            "address",
            "method",
            "due_at",
            "due_clock",
            "overdue",
            "escalated_at",
            "completed_at",
            "reached",
            "note",
            "next_step",
        ]
        read_only_fields = fields

    def get_person(self, obj) -> str:
        person = obj.call.person
        return str(person) if person else obj.call.person_description

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(self.context["now"])

    def get_due_clock(self, obj) -> str:
        return obj.due_clock(self.context["now"])


class RecordInput(serializers.Serializer):
    reached = serializers.BooleanField()
    method = serializers.ChoiceField(choices=FollowUp.Method.choices, default=FollowUp.Method.PHONE)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)
    next_step = serializers.CharField(required=False, allow_blank=True, default="", max_length=NEXT_STEP_MAX)


class FollowUpList(ListAPIView):
    """Open follow-ups: a responder's own team's, or every team's for a supervisor (escalated first). Audited."""

    permission_classes = [FollowUpRoles]
    serializer_class = FollowUpSerializer

    def get_queryset(self):
        return selectors.follow_ups_open_for(self.request.user)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"now": self.now}

    def list(self, request, *args, **kwargs):
        self.now = timezone.now()
        page = self.paginate_queryset(self.get_queryset())
        selectors.follow_ups_viewed(by=request.user, rows=page, now=self.now)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class FollowUpRecord(APIView):
    """Record the contact (reached or not, phone or visit, note, next step); that closes the follow-up. 409 if done."""

    permission_classes = [FollowUpRoles]

    @extend_schema(request=RecordInput, responses=FollowUpSerializer)
    def post(self, request, pk: int):
        follow_up = selectors.follow_up_for_work(pk=pk, by=request.user)
        ser = RecordInput(data=request.data)
        ser.is_valid(raise_exception=True)
        follow_up = services.follow_up_record(follow_up=follow_up, by=request.user, **ser.validated_data)
        return Response(FollowUpSerializer(follow_up, context={"now": timezone.now()}).data)
