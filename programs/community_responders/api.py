"""Referrals and the partner directory over the API: thin edges over selectors and services."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.api import require_any_perm
from crisis.models import User

from . import selectors, services
from .models import FHIR_TASK_STATUS, Partner, Referral, ReferralStatus

# The role first (403 before any 400): the desk and responders. Which call or referral, the permission source decides.
ReferralRoles = require_any_perm("dispatch.view_call", "responders.update_own_team")
DB_INT = {"min_value": 1, "max_value": 2**63 - 1}


class PartnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name", "services", "hours", "phone", "address"]
        read_only_fields = fields


class ReferralSerializer(serializers.ModelSerializer):
    fhir_status = serializers.ChoiceField(choices=sorted(set(FHIR_TASK_STATUS.values())), read_only=True)
    overdue = serializers.SerializerMethodField()
    next_statuses = serializers.ListField(child=serializers.ChoiceField(choices=ReferralStatus.choices), read_only=True)
    owner = serializers.CharField(source="owner.get_username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Referral
        fields = [
            "id",
            "call",
            "partner",
            "agency",
            "service",
            "at",
            "status",
            "fhir_status",
            "status_changed_at",
            "owner",
            "due_at",
            "overdue",
            "next_statuses",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(timezone.now())


class ReferralInput(serializers.Serializer):
    call = serializers.IntegerField(**DB_INT)
    partner = serializers.IntegerField(required=False, allow_null=True, default=None, **DB_INT)
    agency = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    service = serializers.CharField(max_length=120)
    owner = serializers.IntegerField(required=False, allow_null=True, default=None, **DB_INT)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.NOTE_MAX)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class PartnerList(ListAPIView):
    """The partner directory: active partners, their services, hours and contact."""

    permission_classes = [ReferralRoles]
    serializer_class = PartnerSerializer

    def get_queryset(self):
        return selectors.partners_active()


class ReferralListCreate(ListAPIView):
    """GET: open referrals (the desk: all; a responder: their team's calls' and their own), due first. Audited.
    POST: refer the person on a call to a partner (or a named agency); the referrer owns it unless `owner` is given."""

    permission_classes = [ReferralRoles]
    serializer_class = ReferralSerializer

    def get_queryset(self):
        return selectors.referrals_open_for(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        selectors.referrals_viewed(by=request.user, rows=page, now=timezone.now())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=ReferralInput, responses={201: ReferralSerializer})
    def post(self, request):
        ser = ReferralInput(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        call = get_object_or_404(selectors.referable_calls(), pk=data["call"])
        partner = get_object_or_404(Partner, pk=data["partner"]) if data["partner"] else None
        owner = get_object_or_404(User, pk=data["owner"], is_active=True) if data["owner"] else None
        referral = services.referral_create(
            call=call,
            by=request.user,
            partner=partner,
            agency=data["agency"],
            service=data["service"],
            owner=owner,
            due_at=data["due_at"],
        )
        return Response(ReferralSerializer(referral).data, status=201)


class ReferralStatusView(APIView):
    """Move a referral along sent → accepted → appointment → attended / no_show / declined / cancelled.

    A status the current one cannot go to is a 409; `due_at` sets when the next step is due (e.g. the appointment).
    """

    permission_classes = [ReferralRoles]

    @extend_schema(request=StatusInput, responses=ReferralSerializer)
    def post(self, request, pk: int):
        referral = selectors.referral_for_work(pk=pk, by=request.user)
        ser = StatusInput(data=request.data)
        ser.is_valid(raise_exception=True)
        referral = services.referral_set_status(referral=referral, by=request.user, **ser.validated_data)
        return Response(ReferralSerializer(referral).data)
