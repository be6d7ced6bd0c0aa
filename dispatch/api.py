"""REST API for calls and assignments: validate, call one service, serialize."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis import audit, permissions
from crisis.api import Pagination, require_perms
from crisis.validators import parse_db_int
from programs import plugins

from . import selectors, serializers, services, telephony
from .forms import CallSearchForm
from .models import OPEN_STATUSES, Assignment, Call, CallUnit, Source, Status, Tier


def _detail(call_id: int) -> dict:
    return serializers.CallDetailSerializer(selectors.call_for_page(call_id)).data


class CallListCreate(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Status.values),
            OpenApiParameter("tier", str, enum=Tier.values),
            OpenApiParameter("priority", int),
            OpenApiParameter("program", int),
            OpenApiParameter("open", bool),
        ],
        responses=serializers.CallPageSerializer,
    )
    def get(self, request):
        user = request.user
        if not (user.has_perm("dispatch.view_call") or user.has_perm("dispatch.request_response")):
            raise PermissionDenied("Your role does not allow listing calls.")
        qs = selectors.visible_calls_for(user).select_related("team").order_by("-received_at", "-id")
        errors = {}
        params = request.query_params
        if "status" in params:
            if params["status"] not in Status.values:
                errors["status"] = [f"Choose one of: {', '.join(Status.values)}."]
            qs = qs.filter(status=params["status"])
        if "tier" in params:
            if params["tier"] not in Tier.values:
                errors["tier"] = [f"Choose one of: {', '.join(Tier.values)}."]
            qs = qs.filter(tier=params["tier"])
        for name, field in (("priority", "priority"), ("program", "program_id")):
            if name in params:
                try:
                    qs = qs.filter(**{field: parse_db_int(params[name])})
                except ValueError:
                    errors[name] = ["Must be a whole number within range."]
        if "open" in params:
            # open=true: calls still being worked; open=false: closed and cancelled ones (one list, OPEN_STATUSES).
            wanted = params["open"].strip().lower()
            if wanted in ("1", "true"):
                qs = qs.filter(status__in=OPEN_STATUSES)
            elif wanted in ("0", "false"):
                qs = qs.exclude(status__in=OPEN_STATUSES)
            else:
                errors["open"] = ["Use true or false."]
        if errors:
            return Response(errors, status=400)
        page = self.paginator.paginate_queryset(qs, request, view=self)
        ser_class = (
            serializers.CallListSerializer if user.has_perm("dispatch.view_call") else serializers.OfficerCallSerializer
        )
        data = ser_class(page, many=True).data
        # The list names addresses and the nature of each call: one row per page read, with the ids shown.
        audit.record(actor=user, action="dispatch.calls.listed", via="api", calls=[c.pk for c in page])
        return self.paginator.get_paginated_response(data)

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            self._paginator = Pagination()
        return self._paginator

    @extend_schema(request=serializers.CallCreateSerializer, responses={201: serializers.CallDetailSerializer})
    def post(self, request):
        user = request.user
        if not (user.has_perm("dispatch.add_call") or user.has_perm("dispatch.request_response")):
            raise PermissionDenied("Your role does not allow creating calls.")
        # Before the body is validated: the serializer's "no such person" would tell a role that may not link
        # people which ids exist.
        if isinstance(request.data, dict) and request.data.get("person_id") not in (None, ""):
            permissions.require(permissions.may_link_call_person, user, None, permissions.LINK_PERSON_REFUSED)
        ser = serializers.CallCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        if not user.has_perm("dispatch.add_call"):
            # An officer's request is always a law-enforcement request.
            data["source"] = Source.LAW_ENFORCEMENT
        call = services.call_create(by=user, **data)
        if not user.has_perm("dispatch.view_call"):
            return Response(serializers.OfficerCallSerializer(call).data, status=201)
        # call_create hands back the new call's whole page (its one event, nothing else yet): no read-back.
        return Response(serializers.CallDetailSerializer(call).data, status=status.HTTP_201_CREATED)


class CallIntake(APIView):
    """A call with its risk screen in one request (a CAD or 988 integration): created, triaged and, for a
    field tier, routed before the answer, which then shows the offer."""

    permission_classes = [require_perms("dispatch.add_call", "dispatch.triage_call")]

    @extend_schema(request=serializers.IntakeSerializer, responses={201: serializers.CallDetailSerializer})
    def post(self, request):
        ser = serializers.IntakeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        screen = data.pop("screen")
        override, reason = screen.pop("tier_override"), screen.pop("override_reason")
        screen.pop("caller_not_asked")
        call = services.call_intake(
            by=request.user, screen=screen, tier_override=override or None, override_reason=reason, **data
        )
        # call_intake hands back the page its writes made (no read-back inside the transaction, whose commit
        # is what sends the offer to the team and the boards).
        return Response(serializers.CallDetailSerializer(call).data, status=status.HTTP_201_CREATED)


class CallDetail(APIView):
    permission_classes = [require_perms("dispatch.view_call")]

    @extend_schema(responses=serializers.CallDetailSerializer)
    def get(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        body = _detail(pk)
        # The narrative, the suicide/violence screen and the caller are health information (HIPAA 164.312(b)).
        audit.record(actor=request.user, action="dispatch.call.viewed", obj=call, via="api")
        return Response(body)


class CallTriage(APIView):
    permission_classes = [require_perms("dispatch.triage_call")]

    @extend_schema(request=serializers.TriageInputSerializer, responses=serializers.CallDetailSerializer)
    def post(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        ser = serializers.TriageInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        override, reason = data.pop("tier_override"), data.pop("override_reason")
        data.pop("caller_not_asked")
        services.call_triage(
            call=call, screen=data, by=request.user, tier_override=override or None, override_reason=reason
        )
        return Response(_detail(pk))


class CallNeeds(APIView):
    """State what the call needs (the screen's inference, edited); a waiting call is routed again with them."""

    permission_classes = [require_perms("dispatch.triage_call")]

    @extend_schema(request=serializers.NeedsSerializer, responses=serializers.CallDetailSerializer)
    def post(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        ser = serializers.NeedsSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.call_set_needs(call=call, needs=ser.validated_data["needs"], by=request.user)
        return Response(_detail(pk))


class CallClose(APIView):
    permission_classes = [require_perms("dispatch.close_call")]

    @extend_schema(request=serializers.CloseSerializer, responses=serializers.CallDetailSerializer)
    def post(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        ser = serializers.CloseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.call_close(call=call, by=request.user, **ser.validated_data)
        return Response(_detail(pk))


class CallCancel(APIView):
    permission_classes = [require_perms("dispatch.close_call")]

    @extend_schema(request=serializers.ReasonSerializer, responses=serializers.CallDetailSerializer)
    def post(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        ser = serializers.ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.call_cancel(call=call, by=request.user, reason=ser.validated_data["reason"])
        return Response(_detail(pk))


class CallResolveByPhone(APIView):
    permission_classes = [require_perms("dispatch.close_call")]

    @extend_schema(request=serializers.PhoneResolutionSerializer, responses=serializers.CallDetailSerializer)
    def post(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        ser = serializers.PhoneResolutionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.call_resolve_by_phone(call=call, by=request.user, note=ser.validated_data["text"])
        return Response(_detail(pk))


class CallAssign(APIView):
    permission_classes = [require_perms("dispatch.assign_call")]

    @extend_schema(request=serializers.AssignSerializer, responses=serializers.CallDetailSerializer)
    def post(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        ser = serializers.AssignSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.call_assign(call=call, by=request.user, **ser.validated_data)
        return Response(_detail(pk))


class CallConfirm(APIView):
    permission_classes = [require_perms("dispatch.assign_call")]

    @extend_schema(request=None, responses=serializers.CallDetailSerializer)
    def post(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        services.call_confirm_recommendation(call=call, by=request.user)
        return Response(_detail(pk))


class CallHistory(APIView):
    permission_classes = [require_perms("dispatch.view_premise_history")]

    @extend_schema(responses=serializers.CallListSerializer(many=True))
    def get(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        rows = selectors.premise_history(address_key=call.address_key, person_id=call.person_id, exclude_call_id=pk)
        audit.record(actor=request.user, action="dispatch.premise_history.viewed", obj=call, results=len(rows))
        return Response([serializers.CallListSerializer(r["call"]).data | {"flags": r["flags"]} for r in rows])


class BriefSectionSerializer(drf_serializers.Serializer):
    title = drf_serializers.CharField()
    lines = drf_serializers.ListField(child=drf_serializers.CharField())
    note = drf_serializers.CharField(allow_blank=True)
    phone = drf_serializers.CharField(allow_blank=True)
    phone_label = drf_serializers.CharField(allow_blank=True)


class CallBrief(APIView):
    """What the programs' records say the responder on this call needs (e.g. a FACT client's care-plan essentials).

    The call's team and the desk may ask; each program shows only what the asker may see and audits it."""

    @extend_schema(responses=BriefSectionSerializer(many=True))
    def get(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        permissions.require(permissions.may_note_call, request.user, call, "Only the team on this call can see this.")
        return Response(BriefSectionSerializer(plugins.call_brief(call, request.user), many=True).data)


class CallAdvance(APIView):
    """A responder (or dispatcher) reports field progress: en route, on scene, transporting."""

    @extend_schema(request=serializers.AdvanceSerializer, responses=serializers.CallListSerializer)
    def post(self, request, pk: int):
        user = request.user
        call = get_object_or_404(Call, pk=pk)
        permissions.require(permissions.may_work_call, user, call, "Only the team assigned to this call can do this.")
        ser = serializers.AdvanceSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.call_advance(
            call=call,
            by=user,
            to=ser.validated_data["status"],
            expected_status=ser.validated_data.get("expected_status"),
            destination=ser.validated_data["destination"],
        )
        return Response(serializers.CallListSerializer(Call.objects.get(pk=pk)).data)


class CallClear(APIView):
    """The team clears the call with a disposition (closes it)."""

    @extend_schema(request=serializers.ClearSerializer, responses=serializers.CallListSerializer)
    def post(self, request, pk: int):
        user = request.user
        call = get_object_or_404(Call, pk=pk)
        permissions.require(
            permissions.may_clear_call, user, call, "Only the assigned team or a dispatcher can clear this call."
        )
        ser = serializers.ClearSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.call_clear(call=call, by=user, **ser.validated_data)
        return Response(serializers.CallListSerializer(Call.objects.get(pk=pk)).data)


class AssignmentAccept(APIView):
    permission_classes = [require_perms("responders.respond_to_offer")]

    @extend_schema(request=None, responses=serializers.AssignmentSerializer)
    def post(self, request, pk: int):
        assignment = get_object_or_404(Assignment, pk=pk)
        assignment = services.assignment_accept(assignment=assignment, by=request.user)
        return Response(serializers.AssignmentSerializer(assignment).data)


class AssignmentDecline(APIView):
    permission_classes = [require_perms("responders.respond_to_offer")]

    @extend_schema(request=serializers.ReasonSerializer, responses=serializers.AssignmentSerializer)
    def post(self, request, pk: int):
        assignment = get_object_or_404(Assignment, pk=pk)
        # Who may answer first: another team's member gets a 403, not a lesson in this endpoint's fields.
        permissions.require(
            permissions.may_answer_offer,
            request.user,
            assignment.team,
            f"Only a member of {assignment.team.name} can answer its offers.",
        )
        ser = serializers.ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        assignment = services.assignment_decline(assignment=assignment, by=request.user, **ser.validated_data)
        return Response(serializers.AssignmentSerializer(assignment).data)


class AssignmentWithdraw(APIView):
    """The dispatch desk withdraws an offer or pulls back an assigned team (before on scene), with a reason."""

    permission_classes = [require_perms("dispatch.assign_call")]

    @extend_schema(request=serializers.ReasonSerializer, responses=serializers.AssignmentSerializer)
    def post(self, request, pk: int):
        assignment = get_object_or_404(Assignment, pk=pk)
        ser = serializers.ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        assignment = services.assignment_withdraw(assignment=assignment, by=request.user, **ser.validated_data)
        return Response(serializers.AssignmentSerializer(assignment).data)


class CallHandoffs(APIView):
    """Record that the partner agency (police or EMS) took the call: its incident number, unit and when."""

    permission_classes = [require_perms("dispatch.assign_call")]

    @extend_schema(request=serializers.HandoffInputSerializer, responses={201: serializers.HandoffSerializer})
    def post(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        ser = serializers.HandoffInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        handoff = services.call_record_handoff(call=call, by=request.user, **ser.validated_data)
        return Response(serializers.HandoffSerializer(handoff).data, status=201)


class CallUnits(APIView):
    """Put a police or EMS unit on the call besides the crisis team (co-response, or an agency's unit)."""

    permission_classes = [require_perms("dispatch.assign_call")]

    @extend_schema(request=serializers.UnitInputSerializer, responses={201: serializers.CallUnitSerializer})
    def post(self, request, pk: int):
        call = get_object_or_404(Call, pk=pk)
        ser = serializers.UnitInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        unit = services.unit_add(call=call, by=request.user, **ser.validated_data)
        return Response(serializers.CallUnitSerializer(unit).data, status=201)


class UnitStatusView(APIView):
    """Record a police/EMS unit's progress: dispatched, en route, on scene, cleared."""

    permission_classes = [require_perms("dispatch.assign_call")]

    @extend_schema(request=serializers.UnitStatusInputSerializer, responses=serializers.CallUnitSerializer)
    def post(self, request, pk: int):
        unit = get_object_or_404(CallUnit.objects.select_related("call"), pk=pk)
        ser = serializers.UnitStatusInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        unit = services.unit_set_status(unit=unit, by=request.user, **ser.validated_data)
        return Response(serializers.CallUnitSerializer(unit).data)


class CallSearch(APIView):
    """The desk's call search: by number, address, callback number, name, date range (local days) and status."""

    permission_classes = [require_perms("dispatch.view_queue")]

    @extend_schema(
        parameters=[
            OpenApiParameter("number", int),
            OpenApiParameter("address", str),
            OpenApiParameter("callback", str),
            OpenApiParameter("name", str),
            OpenApiParameter("since", OpenApiTypes.DATE),
            OpenApiParameter("until", OpenApiTypes.DATE),
            OpenApiParameter("status", str, enum=Status.values),
        ],
        responses=serializers.CallPageSerializer,
    )
    def get(self, request):
        form = CallSearchForm(request.query_params)
        if not form.is_valid():
            errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
            if "__all__" in errors:
                errors["non_field_errors"] = errors.pop("__all__")
            return Response(errors, status=400)
        paginator = Pagination()
        page = paginator.paginate_queryset(
            selectors.call_search(user=request.user, **form.criteria()), request, view=self
        )
        data = serializers.CallListSerializer(page, many=True).data
        # A search reads callers' numbers, names and addresses: one audit row per page, with the ids shown.
        audit.record(
            actor=request.user,
            action="dispatch.calls.searched",
            via="api",
            criteria=sorted(k for k, v in form.cleaned_data.items() if v),
            calls=[c.pk for c in page],
        )
        return paginator.get_paginated_response(data)


class TelephonyAnswered(APIView):
    """A phone system reports a call answered: its id, the caller's number, when it rang and was picked up.

    Idempotent on the phone system's call id: a retry answers 200 with the first report, unchanged.
    """

    permission_classes = [require_perms("dispatch.report_answered")]

    @extend_schema(
        request=serializers.TelephonyAnsweredSerializer,
        responses={200: serializers.TelephonyCallSerializer, 201: serializers.TelephonyCallSerializer},
    )
    def post(self, request):
        ser = serializers.TelephonyAnsweredSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        row, created = telephony.telephony_answered(
            ref=data["call_id"], ani=data["ani"], rang_at=data["rang_at"], answered_at=data["answered_at"],
            by=request.user,
        )  # fmt: skip
        return Response(
            serializers.TelephonyCallSerializer(row).data, status=status.HTTP_201_CREATED if created else 200
        )
