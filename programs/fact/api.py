"""FACT over the API: caseloads, enrolment, a client's record, and each write the pages make. Thin edges."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.api import require_any_perm
from crisis.models import Person, User

from . import selectors, services
from .models import (
    Contact,
    ContactMethod,
    DischargeReason,
    Enrollment,
    Goal,
    GoalStatus,
    JusticeInvolvement,
    OnCallShift,
    OutcomeEvent,
    OutcomeKind,
)
from .services import COUNT_MAX, GOAL_MAX, NOTE_MAX, PLAN_MAX

# The role first (403 before any 400): responders and supervisors. Which team or client, the permission source decides.
CaseloadRoles = require_any_perm("responders.update_own_team", "responders.manage_team")
DB_INT = {"min_value": 1, "max_value": 2**63 - 1}


def _name(user) -> str | None:
    return (user.get_full_name() or user.get_username()) if user else None


class ShiftSerializer(serializers.ModelSerializer):
    member_name = serializers.SerializerMethodField()
    member_phone = serializers.CharField(source="member.phone", read_only=True)

    class Meta:
        model = OnCallShift
        fields = ["id", "team", "member", "member_name", "member_phone", "starts_at", "ends_at"]
        read_only_fields = fields

    def get_member_name(self, obj) -> str:
        return _name(obj.member)


class EnrollmentSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.__str__", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)
    # Blank until recorded (an enrolment made before eligibility was kept; an open enrolment has no discharge reason).
    justice_involvement = serializers.ChoiceField(choices=JusticeInvolvement.choices, allow_blank=True, read_only=True)
    discharge_reason = serializers.ChoiceField(choices=DischargeReason.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "person",
            "person_name",
            "team",
            "team_name",
            "enrolled_on",
            "serious_mental_illness",
            "diagnosis",
            "justice_involvement",
            "eligibility_note",
            "arrests_before",
            "jail_days_before",
            "hospital_days_before",
            "crisis_plan",
            "discharged_on",
            "discharge_reason",
            "discharge_note",
        ]
        read_only_fields = fields


class CaseloadClientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.__str__")
    enrolled_on = serializers.DateField()
    last_contact = serializers.DateTimeField(allow_null=True)
    active_goals = serializers.IntegerField()


class CaseloadSerializer(serializers.Serializer):
    team = serializers.IntegerField(source="team.pk")
    team_name = serializers.CharField(source="team.name")
    staff = serializers.IntegerField()
    clients_count = serializers.SerializerMethodField()
    ratio = serializers.FloatField(allow_null=True)
    target = serializers.IntegerField()
    over_target = serializers.BooleanField()
    on_call = ShiftSerializer(allow_null=True)
    rota = ShiftSerializer(many=True)
    clients = CaseloadClientSerializer(many=True)

    def get_clients_count(self, obj) -> int:
        return len(obj.clients)


class GoalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Goal
        fields = ["id", "text", "target_on", "status", "created_at", "updated_at"]
        read_only_fields = fields


class FactContactSerializer(serializers.ModelSerializer):
    by_name = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = ["id", "at", "by_name", "method", "reached", "note"]
        read_only_fields = fields

    def get_by_name(self, obj) -> str | None:
        return _name(obj.by)


class OutcomeEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutcomeEvent
        fields = ["id", "kind", "on", "days", "note"]
        read_only_fields = fields


class OutcomeRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    before = serializers.IntegerField()
    after = serializers.IntegerField()
    source = serializers.ChoiceField(choices=["recorded", "calls"])


class ClientRecordSerializer(serializers.Serializer):
    enrollment = EnrollmentSerializer()
    days_enrolled = serializers.IntegerField()
    outcomes = OutcomeRowSerializer(many=True)
    goals = GoalSerializer(many=True)
    contacts = FactContactSerializer(many=True)
    events = OutcomeEventSerializer(many=True)


class EnrollInput(serializers.Serializer):
    person = serializers.IntegerField(**DB_INT)
    team = serializers.IntegerField(**DB_INT)
    serious_mental_illness = serializers.BooleanField()
    justice_involvement = serializers.ChoiceField(choices=JusticeInvolvement.choices)
    diagnosis = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    eligibility_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)
    arrests_before = serializers.IntegerField(required=False, default=0, min_value=0, max_value=COUNT_MAX)
    jail_days_before = serializers.IntegerField(required=False, default=0, min_value=0, max_value=COUNT_MAX)
    hospital_days_before = serializers.IntegerField(required=False, default=0, min_value=0, max_value=COUNT_MAX)
    crisis_plan = serializers.CharField(required=False, allow_blank=True, default="", max_length=PLAN_MAX)
    enrolled_on = serializers.DateField(required=False, allow_null=True, default=None)


class FactContactInput(serializers.Serializer):
    method = serializers.ChoiceField(choices=ContactMethod.choices)
    reached = serializers.BooleanField(required=False, default=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class GoalInput(serializers.Serializer):
    text = serializers.CharField(max_length=GOAL_MAX)
    target_on = serializers.DateField(required=False, allow_null=True, default=None)


class GoalStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=GoalStatus.choices)


class OutcomeInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OutcomeKind.choices)
    on = serializers.DateField()
    days = serializers.IntegerField(required=False, default=0, min_value=0, max_value=COUNT_MAX)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class PlanInput(serializers.Serializer):
    crisis_plan = serializers.CharField(allow_blank=True, max_length=PLAN_MAX)


class DischargeInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DischargeReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)
    discharged_on = serializers.DateField(required=False, allow_null=True, default=None)


class OnCallInput(serializers.Serializer):
    member = serializers.IntegerField(**DB_INT)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


def _valid(cls, request) -> dict:
    ser = cls(data=request.data)
    ser.is_valid(raise_exception=True)
    return ser.validated_data


class CaseloadView(APIView):
    """Each FACT team's open caseload (a responder: their team's; a supervisor: every team's) with the
    staff:client ratio against the program's target and who is on call now. Audited."""

    permission_classes = [CaseloadRoles]

    @extend_schema(responses=CaseloadSerializer(many=True))
    def get(self, request):
        caseloads = selectors.caseloads_for(request.user, now=timezone.now())
        selectors.caseloads_viewed(by=request.user, caseloads=caseloads)
        return Response(CaseloadSerializer(caseloads, many=True).data)


class EnrollmentCreate(APIView):
    """Enrol a client on a FACT team, with eligibility: a serious mental illness and justice involvement."""

    permission_classes = [CaseloadRoles]

    @extend_schema(request=EnrollInput, responses={201: EnrollmentSerializer})
    def post(self, request):
        data = dict(_valid(EnrollInput, request))
        person = get_object_or_404(Person, pk=data.pop("person"))
        team = get_object_or_404(selectors.fact_teams_for(request.user), pk=data.pop("team"))
        enrollment = services.enrollment_create(person=person, team=team, by=request.user, **data)
        return Response(EnrollmentSerializer(enrollment).data, status=201)


class EnrollmentDetail(APIView):
    """A client's FACT record: eligibility, outcomes before vs after enrolment, goals, contacts. Audited."""

    permission_classes = [CaseloadRoles]

    @extend_schema(responses=ClientRecordSerializer)
    def get(self, request, pk: int):
        enrollment = selectors.enrollment_for_work(pk=pk, by=request.user)
        return Response(
            ClientRecordSerializer(selectors.client_record_view(enrollment=enrollment, by=request.user)).data
        )


class ContactCreate(APIView):
    permission_classes = [CaseloadRoles]

    @extend_schema(request=FactContactInput, responses={201: FactContactSerializer})
    def post(self, request, pk: int):
        enrollment = selectors.enrollment_for_work(pk=pk, by=request.user)
        contact = services.contact_record(enrollment=enrollment, by=request.user, **_valid(FactContactInput, request))
        return Response(FactContactSerializer(contact).data, status=201)


class GoalCreate(APIView):
    permission_classes = [CaseloadRoles]

    @extend_schema(request=GoalInput, responses={201: GoalSerializer})
    def post(self, request, pk: int):
        enrollment = selectors.enrollment_for_work(pk=pk, by=request.user)
        goal = services.goal_add(enrollment=enrollment, by=request.user, **_valid(GoalInput, request))
        return Response(GoalSerializer(goal).data, status=201)


class GoalStatusView(APIView):
    """Set a treatment-plan goal's status; the same status again is a 409."""

    permission_classes = [CaseloadRoles]

    @extend_schema(request=GoalStatusInput, responses=GoalSerializer)
    def post(self, request, pk: int):
        goal = get_object_or_404(Goal, pk=pk)
        goal.enrollment = selectors.enrollment_for_work(pk=goal.enrollment_id, by=request.user)
        goal = services.goal_set_status(goal=goal, by=request.user, **_valid(GoalStatusInput, request))
        return Response(GoalSerializer(goal).data)


class OutcomeCreate(APIView):
    """Record an arrest, jail stay or hospital stay after enrolment."""

    permission_classes = [CaseloadRoles]

    @extend_schema(request=OutcomeInput, responses={201: OutcomeEventSerializer})
    def post(self, request, pk: int):
        enrollment = selectors.enrollment_for_work(pk=pk, by=request.user)
        event = services.outcome_record(enrollment=enrollment, by=request.user, **_valid(OutcomeInput, request))
        return Response(OutcomeEventSerializer(event).data, status=201)


class PlanUpdate(APIView):
    """The crisis plan (what helps, what to avoid, who to call) the team's phone shows on a call about the client."""

    permission_classes = [CaseloadRoles]

    @extend_schema(request=PlanInput, responses=EnrollmentSerializer)
    def post(self, request, pk: int):
        enrollment = selectors.enrollment_for_work(pk=pk, by=request.user)
        enrollment = services.care_plan_update(enrollment=enrollment, by=request.user, **_valid(PlanInput, request))
        return Response(EnrollmentSerializer(enrollment).data)


class Discharge(APIView):
    """Discharge with a reason; a second discharge is a 409."""

    permission_classes = [CaseloadRoles]

    @extend_schema(request=DischargeInput, responses=EnrollmentSerializer)
    def post(self, request, pk: int):
        enrollment = selectors.enrollment_for_work(pk=pk, by=request.user)
        enrollment = services.enrollment_discharge(
            enrollment=enrollment, by=request.user, **_valid(DischargeInput, request)
        )
        return Response(EnrollmentSerializer(enrollment).data)


class OnCallCreate(APIView):
    """Put a team member on call (supervisors); a shift overlapping another of the team's is a 409."""

    permission_classes = [require_any_perm("responders.manage_team")]

    @extend_schema(request=OnCallInput, responses={201: ShiftSerializer})
    def post(self, request, pk: int):
        team = get_object_or_404(selectors.fact_teams_for(request.user), pk=pk)
        data = dict(_valid(OnCallInput, request))
        member = get_object_or_404(User, pk=data.pop("member"))
        shift = services.on_call_add(team=team, member=member, by=request.user, **data)
        return Response(ShiftSerializer(shift).data, status=201)
