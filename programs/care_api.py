"""My caseload today over the API: the snapshot the live page loads, and acknowledging an escalation."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied as DrfPermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis import permissions, realtime
from crisis.api import require_any_perm

from . import caseload, escalations

CareRoles = require_any_perm("responders.update_own_team", "responders.manage_team")


class CareItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    program = serializers.CharField()
    title = serializers.CharField()
    due_at = serializers.DateTimeField()
    overdue = serializers.BooleanField()
    escalated = serializers.BooleanField()
    url = serializers.CharField()
    person_id = serializers.IntegerField(allow_null=True)
    person_name = serializers.CharField()
    owner_id = serializers.IntegerField(allow_null=True)
    owner_name = serializers.CharField()
    team_id = serializers.IntegerField(allow_null=True)
    team_name = serializers.CharField()


class EscalationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    level = serializers.ChoiceField(choices=["owner", "supervisor"])
    kind = serializers.CharField()
    program = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()
    due_at = serializers.DateTimeField()
    owner = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)
    raised_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.IntegerField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    open = serializers.BooleanField()


class CaseloadSnapshotSerializer(serializers.Serializer):
    now = serializers.DateTimeField()
    epoch = serializers.CharField()
    seq = serializers.DictField(child=serializers.IntegerField())
    items = CareItemSerializer(many=True)
    escalations = EscalationSerializer(many=True)


class CaseloadSnapshot(APIView):
    """Today's open hand-offs across programs, newest due first, and the open escalations raised to me."""

    permission_classes = [CareRoles]

    @extend_schema(responses=CaseloadSnapshotSerializer)
    def get(self, request):
        groups = permissions.care_stream_groups_for(request.user)
        if groups is None:
            raise DrfPermissionDenied("Only a responder on a team or a supervisor has a caseload.")
        # The position first: an event numbered at or below it was committed before the reads below.
        epoch, seq = realtime.current_position(realtime.stream_groups(groups))
        now = timezone.now()
        today = caseload.caseload_today(by=request.user, now=now)
        escalated = today.escalated_keys
        items = [{**vars(i), "overdue": i.due_at < now, "escalated": i.key in escalated} for i in today.items]
        body = {
            "now": now,
            "epoch": epoch,
            "seq": seq,
            "items": items,
            "escalations": [escalations.escalation_row(e) for e in today.escalations],
        }
        return Response(CaseloadSnapshotSerializer(body).data)


class EscalationAcknowledge(APIView):
    """The owner (or the owning team) or a supervisor saw the alert. 409 when it was acknowledged or resolved."""

    permission_classes = [CareRoles]

    @extend_schema(request=None, responses=EscalationSerializer)
    def post(self, request, pk: int):
        escalation = caseload.escalation_for_work(pk=pk, by=request.user)
        escalation = escalations.escalation_acknowledge(escalation=escalation, by=request.user, now=timezone.now())
        return Response(escalations.escalation_row(escalation))
