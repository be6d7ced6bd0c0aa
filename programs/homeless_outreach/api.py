"""The outreach API: the by-name list, and an outreach contact recorded from a phone or a partner's system."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis import permissions
from crisis.api import require_rule
from crisis.models import Person
from responders.models import Team

from . import selectors, services
from .living import LivingSituation
from .models import HousingReferral, OutreachContact


class ByNameRowSerializer(serializers.Serializer):
    person = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.__str__")
    date_of_birth = serializers.DateField(source="person.date_of_birth", allow_null=True)
    last_contact_at = serializers.DateTimeField(allow_null=True)
    last_team = serializers.CharField()
    living_situation = serializers.IntegerField(allow_null=True, help_text="HUD HMIS 4.12 code")
    living_situation_label = serializers.CharField(source="living_label")
    housing_partner = serializers.CharField()
    housing_referral_status = serializers.CharField()


class ByNameList(APIView):
    permission_classes = [require_rule(permissions.may_see_by_name_list)]

    @extend_schema(responses=ByNameRowSerializer(many=True))
    def get(self, request):
        return Response(ByNameRowSerializer(selectors.by_name_list(by=request.user), many=True).data)


class ContactInput(serializers.Serializer):
    person = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    team = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    outcome = serializers.ChoiceField(choices=OutreachContact.Outcome.choices, default="engaged")
    living_situation = serializers.ChoiceField(choices=LivingSituation.choices, required=False, allow_null=True)
    housing_partner = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    housing_referral_status = serializers.ChoiceField(
        choices=HousingReferral.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ContactCreated(serializers.Serializer):
    id = serializers.IntegerField()


class ContactCreate(APIView):
    # The role first (403 before any 400); which team, the one permission source decides in the service.
    permission_classes = [require_rule(permissions.may_record_outreach)]

    @extend_schema(request=ContactInput, responses={201: ContactCreated})
    def post(self, request):
        data = ContactInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        team = get_object_or_404(Team, pk=fields.pop("team"))
        person = get_object_or_404(Person, pk=fields.pop("person"), merged_into__isnull=True)
        contact = services.outreach_contact_record(person=person, team=team, by=request.user, **fields)
        return Response({"id": contact.pk}, status=201)
