"""The outreach API: the by-name list (pseudonymous for a partner agency without the person's consent), an
encounter recorded from a phone or a partner agency, and consents to share with partner agencies."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis import permissions
from crisis.api import require_rule
from crisis.models import Person
from programs.community_responders.models import Partner
from responders.models import Team

from . import selectors, services
from .living import LivingSituation
from .models import HousingReferral, Offer, OutreachContact, Place, SharingConsent, SharingScope

ID = dict(min_value=1, max_value=2**31 - 1)


class ByNameRowSerializer(serializers.Serializer):
    person = serializers.IntegerField(source="person_id")
    label = serializers.CharField(help_text="Pseudonymous label, the same for everyone")
    identified = serializers.BooleanField(help_text="False: a partner agency without the person's consent")
    name = serializers.CharField(allow_null=True, source="name_or_none")
    date_of_birth = serializers.DateField(allow_null=True)
    last_contact_at = serializers.DateTimeField(allow_null=True)
    last_team = serializers.CharField()
    living_situation = serializers.IntegerField(allow_null=True, help_text="HUD HMIS 4.12 code")
    living_situation_label = serializers.CharField(source="living_label")
    housing_partner = serializers.CharField()
    housing_referral_status = serializers.CharField()
    area = serializers.CharField(help_text="General area of the latest encounter that named one")
    exact_location = serializers.CharField(help_text="Empty unless the consent's scope includes the location")


class ByNameList(APIView):
    permission_classes = [require_rule(permissions.may_see_by_name_list)]

    @extend_schema(responses=ByNameRowSerializer(many=True))
    def get(self, request):
        return Response(ByNameRowSerializer(selectors.by_name_list(by=request.user), many=True).data)


class ContactInput(serializers.Serializer):
    person = serializers.IntegerField(**ID)
    team = serializers.IntegerField(**ID, required=False, allow_null=True, help_text="Staff: the team that met them")
    outcome = serializers.ChoiceField(choices=OutreachContact.Outcome.choices, default="engaged")
    living_situation = serializers.ChoiceField(choices=LivingSituation.choices, required=False, allow_null=True)
    housing_partner = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    housing_referral_status = serializers.ChoiceField(
        choices=HousingReferral.choices, required=False, allow_blank=True, default=""
    )
    place = serializers.ChoiceField(choices=Place.choices, required=False, allow_blank=True, default="")
    area = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    exact_location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    offered = serializers.ListField(child=serializers.ChoiceField(choices=Offer.choices), required=False, default=list)
    accepted = serializers.ListField(child=serializers.ChoiceField(choices=Offer.choices), required=False, default=list)
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class Created(serializers.Serializer):
    id = serializers.IntegerField()


class ContactCreate(APIView):
    # The role first (403 before any 400); which team, the one permission source decides in the service.
    permission_classes = [require_rule(permissions.may_record_outreach)]

    @extend_schema(request=ContactInput, responses={201: Created})
    def post(self, request):
        data = ContactInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        team_id = fields.pop("team", None)
        team = get_object_or_404(Team, pk=team_id) if team_id else None
        person = get_object_or_404(Person, pk=fields.pop("person"), merged_into__isnull=True)
        contact = services.outreach_contact_record(person=person, team=team, by=request.user, **fields)
        return Response({"id": contact.pk}, status=201)


class ConsentInput(serializers.Serializer):
    person = serializers.IntegerField(**ID)
    partner = serializers.IntegerField(**ID, help_text="A partner agency of the directory")
    scope = serializers.ChoiceField(choices=SharingScope.choices, default=SharingScope.IDENTITY)
    expires_at = serializers.DateTimeField(help_text="Within a year")
    document = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ConsentCreate(APIView):
    permission_classes = [require_rule(permissions.may_keep_sharing_consent)]

    @extend_schema(request=ConsentInput, responses={201: Created})
    def post(self, request):
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        person = get_object_or_404(Person, pk=fields.pop("person"), merged_into__isnull=True)
        partner = get_object_or_404(Partner, pk=fields.pop("partner"))
        consent = services.sharing_consent_record(person=person, partner=partner, by=request.user, **fields)
        return Response({"id": consent.pk}, status=201)


class RevokeInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class Revoked(serializers.Serializer):
    id = serializers.IntegerField()
    revoked_at = serializers.DateTimeField()


class ConsentRevoke(APIView):
    permission_classes = [require_rule(permissions.may_keep_sharing_consent)]

    @extend_schema(request=RevokeInput, responses={200: Revoked})
    def post(self, request, pk: int):
        data = RevokeInput(data=request.data)
        data.is_valid(raise_exception=True)
        consent = get_object_or_404(SharingConsent, pk=pk)
        consent = services.sharing_consent_revoke(consent=consent, by=request.user, **data.validated_data)
        return Response({"id": consent.pk, "revoked_at": consent.revoked_at})
