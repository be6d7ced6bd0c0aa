"""Crisis stabilization over the API: the same services and audited reads as the pages."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.api import require_any_perm
from crisis.models import Person, User

from . import selectors, services
from .models import ContactMethod, Episode, EpisodeContact, Outcome
from .services import NOTE_MAX

EpisodeRoles = require_any_perm("responders.update_own_team", "responders.manage_team")
DB_INT = {"min_value": 1, "max_value": 2**63 - 1}


class EpisodeSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.__str__", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)
    owner_name = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    # Blank while the episode is open: the schema says so, or a client validating against it would reject it.
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Episode
        fields = [
            "id",
            "person",
            "person_name",
            "team",
            "team_name",
            "owner",
            "owner_name",
            "goals",
            "opened_at",
            "planned_end_on",
            "due_at",
            "overdue",
            "closed_at",
            "outcome",
            "close_note",
        ]
        read_only_fields = fields

    def get_owner_name(self, obj) -> str:
        return obj.owner.get_full_name() or obj.owner.get_username()

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(timezone.now())


class EpisodeContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = EpisodeContact
        fields = ["id", "at", "method", "reached", "note"]
        read_only_fields = fields


class EpisodeDetailSerializer(serializers.Serializer):
    episode = EpisodeSerializer()
    contacts = EpisodeContactSerializer(many=True)


class OpenInput(serializers.Serializer):
    person = serializers.IntegerField(**DB_INT)
    team = serializers.IntegerField(**DB_INT)
    owner = serializers.IntegerField(**DB_INT)
    goals = serializers.CharField(max_length=NOTE_MAX)
    planned_end_on = serializers.DateField()
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class EpisodeContactInput(serializers.Serializer):
    method = serializers.ChoiceField(choices=ContactMethod.choices)
    reached = serializers.BooleanField(required=False, default=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)
    next_due_at = serializers.DateTimeField()


class EpisodeCloseInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)


def _valid(cls, request) -> dict:
    ser = cls(data=request.data)
    ser.is_valid(raise_exception=True)
    return dict(ser.validated_data)


class EpisodeListCreate(ListAPIView):
    """GET: open episodes (a worker: their team's and their own, theirs first; a supervisor: all), audited.
    POST: open an episode with goals, an owner, a planned end and when the first contact is due."""

    permission_classes = [EpisodeRoles]
    serializer_class = EpisodeSerializer

    def get_queryset(self):
        return selectors.episodes_open_for(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        selectors.episodes_viewed(by=request.user, rows=page, now=timezone.now())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=OpenInput, responses={201: EpisodeSerializer})
    def post(self, request):
        data = _valid(OpenInput, request)
        person = get_object_or_404(Person, pk=data.pop("person"))
        team = get_object_or_404(selectors.teams_for(request.user), pk=data.pop("team"))
        owner = get_object_or_404(User, pk=data.pop("owner"))
        if data["due_at"] is None:
            data.pop("due_at")
        episode = services.episode_open(person=person, team=team, owner=owner, by=request.user, **data)
        return Response(EpisodeSerializer(episode).data, status=201)


class EpisodeDetail(APIView):
    permission_classes = [EpisodeRoles]

    @extend_schema(responses=EpisodeDetailSerializer)
    def get(self, request, pk: int):
        episode = selectors.episode_for_work(pk=pk, by=request.user)
        contacts = selectors.episode_view(episode=episode, by=request.user)
        return Response(EpisodeDetailSerializer({"episode": episode, "contacts": contacts}).data)


class ContactCreate(APIView):
    """Record a contact and when the next one is due; 409 once the episode is closed."""

    permission_classes = [EpisodeRoles]

    @extend_schema(request=EpisodeContactInput, responses={201: EpisodeContactSerializer})
    def post(self, request, pk: int):
        episode = selectors.episode_for_work(pk=pk, by=request.user)
        contact = services.episode_contact_record(
            episode=episode, by=request.user, **_valid(EpisodeContactInput, request)
        )
        return Response(EpisodeContactSerializer(contact).data, status=201)


class Close(APIView):
    """Close with the outcome (stabilized, inpatient, jail, other); a second close is a 409."""

    permission_classes = [EpisodeRoles]

    @extend_schema(request=EpisodeCloseInput, responses=EpisodeSerializer)
    def post(self, request, pk: int):
        episode = selectors.episode_for_work(pk=pk, by=request.user)
        episode = services.episode_close(episode=episode, by=request.user, **_valid(EpisodeCloseInput, request))
        return Response(EpisodeSerializer(episode).data)
