"""API shapes. Validation of input only; every change goes through dispatch.services."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crisis import languages
from crisis.models import Person
from responders.models import Team

from . import selectors, triage
from .event_text import event_text
from .models import (
    Agency,
    Assignment,
    Call,
    CallerRelation,
    CallEvent,
    CallType,
    CallUnit,
    Disposition,
    Handoff,
    LocationType,
    Source,
    Status,
    Tier,
    UnitStatus,
)
from .models import Triage as TriageModel
from .rows import assignment_row, call_actions


class _FieldsOnce:
    """DRF makes a serializer's fields again for every instance: a ModelSerializer from the model's metadata,
    then a deep copy of each (declared fields are deep-copied too). A call's page is ~120 fields in 7
    serializers and an intake's body ~40, all on the intake's hot path, and making them was most of the time
    spent serializing (~4 ms a page). These fields depend on the class alone (no get_fields reads the instance,
    the data or the context), so each class builds them once and every instance takes shallow copies: binding
    a field sets attributes on the copy only, and a nested serializer's child (shared by the copies) is bound
    once and keeps no instance or data of its own, so sharing it is safe across requests and threads."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_once")
        if built is None:  # two threads may both build it once: the same fields
            built = cls._fields_once = super().get_fields()
        return {name: _shallow(field) for name, field in built.items()}


def _shallow(field):
    # copy.copy's general path (__reduce_ex__, then rebuilding the state) was ~1 ms of an intake's ~160 copies;
    # a DRF field is a plain object whose state is its __dict__.
    new = object.__new__(type(field))
    new.__dict__.update(field.__dict__)
    return new


class CallCreateSerializer(_FieldsOnce, serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices)
    caller_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    callback_number = serializers.RegexField(
        r"^[0-9+()\-. ]{3,32}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "Enter a phone number (digits, spaces, + ( ) - .)."},
    )
    person_id = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True, source="person"
    )
    person_description = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    address = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required, except on a 988 call (an anonymous caller on the phone line may not say where).",
    )
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90, default=None)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180, default=None)
    location_type = serializers.ChoiceField(choices=LocationType.choices, default=LocationType.OTHER)
    area_type = serializers.ChoiceField(choices=[("urban", "Urban"), ("rural", "Rural")], default="urban")
    call_type = serializers.ChoiceField(choices=CallType.choices)
    nature = serializers.CharField(max_length=200)
    narrative = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=8,
        help_text="ISO 639 code from the configured list (crisis/languages.py); empty: the linked person's "
        "preferred language, else English.",
    )
    received_at = serializers.DateTimeField(required=False)

    # A received time far in the past or ahead is a typo or a broken client clock; before 1900 the local
    # zone even has an LMT offset (-05:50:36) that no ISO 8601 reader accepts, and near year 1 or 9999
    # the standards clocks and reports overflow.
    EARLIEST_RECEIVED = datetime(2000, 1, 1, tzinfo=UTC)
    CLOCK_SKEW = timedelta(minutes=5)

    def validate_received_at(self, value):
        if not self.EARLIEST_RECEIVED <= value <= timezone.now() + self.CLOCK_SKEW:
            raise serializers.ValidationError("The received time must be after 2000 and not in the future.")
        return value

    def validate_language(self, value):
        if value and not languages.is_known(value):
            raise serializers.ValidationError(languages.unknown_message(value))
        return value

    def validate(self, data):
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise serializers.ValidationError({"longitude": "Give both latitude and longitude, or neither."})
        if not data.get("person") and not data.get("person_description", "").strip():
            raise serializers.ValidationError(
                {"person_description": "Choose a known person or describe the person the call is about."}
            )
        return data


class _TriageInput(serializers.Serializer):
    tier_override = serializers.ChoiceField(choices=Tier.choices, required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    caller_not_asked = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The screen could not be asked (e.g. a third-party caller); unanswered questions count as no.",
    )

    def get_fields(self):
        fields = super().get_fields()
        for name in triage.SCREEN_FIELDS:
            fields[name] = serializers.BooleanField(required=False, default=False)
        for name in triage.OPEN_QUESTIONS:
            label = TriageModel._meta.get_field(name).verbose_name
            fields[name] = serializers.BooleanField(
                required=False, allow_null=True, default=None, help_text=f"{label}. Null or absent: not asked."
            )
        fields["age"] = serializers.IntegerField(
            required=False,
            allow_null=True,
            default=None,
            min_value=0,
            max_value=120,
            help_text="The person's age in years (null: not known). Under 18 counts as a minor.",
        )
        fields["caller_relation"] = serializers.ChoiceField(
            choices=CallerRelation.choices, required=False, allow_blank=True, default="", help_text="Who is calling."
        )
        return fields

    def validate(self, data):
        # "Unanswered" is not "no": an empty screen is a mistake unless the dispatcher records why.
        asked = triage.SCREEN_FIELDS + triage.OPEN_QUESTIONS + triage.FACT_FIELDS
        answered = any(name in self.initial_data for name in asked)
        if not answered and not data["caller_not_asked"]:
            raise serializers.ValidationError(
                "Answer the risk screen, or record that the caller could not be asked (caller_not_asked: true)."
            )
        return data


class TriageInputSerializer(_FieldsOnce, _TriageInput):
    """The risk screen (POST /api/calls/{id}/triage/, and inside an intake's body)."""


@extend_schema_field(TriageInputSerializer)
class ScreenField(serializers.Field):
    """The risk screen inside an intake body, checked exactly as POST /api/calls/{id}/triage/ checks it."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Give the risk screen as an object.")
        ser = TriageInputSerializer(data=data)
        if not ser.is_valid():
            raise serializers.ValidationError(ser.errors)
        return dict(ser.validated_data)

    def to_representation(self, value):
        return value


class IntakeSerializer(CallCreateSerializer):
    """A call and its risk screen in one body (POST /api/calls/intake/)."""

    screen = ScreenField()


class NeedsSerializer(serializers.Serializer):
    needs = serializers.ListField(
        child=serializers.CharField(max_length=40),
        max_length=20,
        help_text="Everything the call needs now (replaces the list): codes from the call's `needs.choices`, e.g. "
        '["licensed_clinician", "youth", "lang:es", "female_responder"].',
    )


class _NeedChoice(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class NeedsStateSerializer(serializers.Serializer):
    needs = serializers.ListField(child=serializers.CharField(), help_text="What routing requires of a team now.")
    inferred = serializers.ListField(child=serializers.CharField(), help_text="What the screen alone implies.")
    choices = _NeedChoice(many=True, help_text="The needs the dispatcher may state on this call.")


class CloseSerializer(serializers.Serializer):
    disposition = serializers.ChoiceField(choices=Disposition.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    confirm_units = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Close even though a police/EMS unit is still on scene (after a 409 that listed them).",
    )


class ClearSerializer(CloseSerializer):
    # A phone replaying queued taps sends the status it saw; a stale tap gets a 409.
    expected_status = serializers.ChoiceField(choices=Status.choices, required=False)
    answers = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        required=False,
        default=dict,
        help_text="The team's program's questions at clear (the phone's clear form), e.g. for community responders "
        '{"outcome": "found_referred", "referral_partner": "3", "referral_service": "Food pantry"}; written with the '
        "clear or not at all.",
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class AssignSerializer(serializers.Serializer):
    team_id = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), source="team")
    reason = serializers.CharField(max_length=200)
    confirm_gaps = serializers.BooleanField(
        default=False,
        help_text="Assign although the team lacks what the call needs (a 409 with `reasons` lists it first).",
    )


class AdvanceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[Status.EN_ROUTE, Status.ON_SCENE, Status.TRANSPORTING])
    expected_status = serializers.ChoiceField(choices=Status.choices, required=False)
    destination = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200,
        help_text="Where the person is being taken: required with transporting.",
    )  # fmt: skip


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class PhoneResolutionSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TriageSerializer(_FieldsOnce, serializers.ModelSerializer):
    by = serializers.StringRelatedField()
    rules = serializers.SerializerMethodField()

    class Meta:
        model = TriageModel
        fields = [
            "at", "by", "priority", "computed_tier", "tier", "override_reason", "rules",
            *triage.SCREEN_FIELDS, *triage.OPEN_QUESTIONS, *triage.FACT_FIELDS, "from_history",
        ]  # fmt: skip

    def get_rules(self, obj) -> list[dict]:
        return [
            {"code": code, "description": triage.describe(code), "from_history": triage.is_from_history(code)}
            for code in obj.rules_fired
        ]


class EventSerializer(_FieldsOnce, serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField(help_text="The event in words, as the call page shows it.")

    class Meta:
        model = CallEvent
        fields = ["at", "kind", "text", "from_status", "to_status", "actor", "team", "detail"]

    def get_actor(self, obj) -> str:
        return obj.actor_label

    def get_text(self, obj) -> str:
        return event_text(obj)


class AssignmentSerializer(_FieldsOnce, serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "call",
            "team",
            "team_name",
            "status",
            "offered_at",
            "expires_at",
            "responded_at",
            "ended_at",
            "decline_reason",
            "manual_reason",
            "eta_seconds",
        ]


class CallListSerializer(_FieldsOnce, serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Call
        fields = [
            "id",
            "received_at",
            "source",
            "status",
            "priority",
            "tier",
            "call_type",
            "nature",
            "address",
            "latitude",
            "longitude",
            "location_type",
            "region",
            "team",
            "team_name",
            "awaiting_since",
            "unrouted_flagged_at",
            "escalated_at",
        ]


class CallActionsSerializer(serializers.Serializer):
    """What the lifecycle allows on the call now (dispatch.rows.call_actions): the clients' only source for it."""

    triage = serializers.BooleanField()
    assign = serializers.BooleanField()
    resolve_by_phone = serializers.BooleanField()
    cancel = serializers.BooleanField()
    close = serializers.BooleanField()
    advance = serializers.ListField(child=serializers.ChoiceField(choices=Status.choices))
    clear = serializers.BooleanField()
    withdraw = serializers.BooleanField()


class HandoffSerializer(_FieldsOnce, serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = Handoff
        fields = ["id", "agency", "incident_number", "unit", "handed_off_at", "recorded_by", "recorded_at"]


class HandoffInputSerializer(serializers.Serializer):
    agency = serializers.ChoiceField(choices=Agency.choices)
    incident_number = serializers.CharField(max_length=40)
    unit = serializers.CharField(max_length=40)
    handed_off_at = serializers.DateTimeField(required=False, allow_null=True)


class UnitInputSerializer(serializers.Serializer):
    agency = serializers.ChoiceField(choices=Agency.choices)
    unit = serializers.CharField(max_length=40, help_text="The agency's own unit id, e.g. 4A12.")
    incident_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class UnitStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=UnitStatus.choices)
    # A desk acting on an old view sends the status it saw; a stale change gets a 409.
    expected_status = serializers.ChoiceField(choices=UnitStatus.choices, required=False)


class CallUnitSerializer(_FieldsOnce, serializers.ModelSerializer):
    class Meta:
        model = CallUnit
        fields = [
            "id", "call", "agency", "unit", "incident_number", "status",
            "dispatched_at", "en_route_at", "on_scene_at", "cleared_at",
        ]  # fmt: skip
        read_only_fields = fields


class CallDetailSerializer(CallListSerializer):
    actions = serializers.SerializerMethodField()
    person = serializers.SerializerMethodField()
    triage = serializers.SerializerMethodField()
    timeline = EventSerializer(source="events", many=True, read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)
    handoffs = HandoffSerializer(many=True, read_only=True)
    handoff_pending = serializers.SerializerMethodField()
    units = CallUnitSerializer(source="call_units", many=True, read_only=True)
    needs = serializers.SerializerMethodField()

    class Meta(CallListSerializer.Meta):
        fields = CallListSerializer.Meta.fields + [
            "actions",
            "needs",
            "interpreter_line",
            "caller_name",
            "callback_number",
            "person",
            "person_description",
            "narrative",
            "language",
            "area_type",
            "disposition",
            "triaged_at",
            "assigned_at",
            "arrived_at",
            "closed_at",
            "triage",
            "timeline",
            "assignments",
            "handoffs",
            "handoff_pending",
            "units",
            "routing_explanation",
            "recommended_team",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Agency.choices)))
    def get_handoff_pending(self, call) -> list:
        return [a for a in call.handoff_pending.split(",") if a]

    @extend_schema_field(CallActionsSerializer)
    def get_actions(self, call) -> dict:
        active = next((a for a in call.assignments.all() if a.is_active), None)  # prefetched
        return call_actions(call, assignment_row(active))

    def get_person(self, obj) -> dict | None:
        # Identity only: the mental-health record is behind its own, audited endpoint.
        if obj.person is None:
            return None
        return {"id": obj.person_id, "name": str(obj.person)}

    def get_triage(self, obj) -> dict | None:
        triages = list(obj.triages.all())
        return TriageSerializer(triages[0]).data if triages else None

    @extend_schema_field(NeedsStateSerializer)
    def get_needs(self, obj) -> dict:
        screen = next(iter(obj.triages.all()), None)
        return {
            "needs": sorted(selectors.call_needs(obj, screen)[0]),
            "inferred": sorted(selectors.inferred_needs(obj, screen)[0]),
            "choices": [{"code": code, "label": label} for code, label in selectors.needs_choices(obj)],
        }


class CallPageSerializer(serializers.Serializer):
    """Documents GET /api/calls/ (limit/offset pages); officers get OfficerCall rows in `results`."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CallListSerializer(many=True)


class OfficerCallSerializer(serializers.ModelSerializer):
    """What an officer sees of their own request: where it stands, nothing clinical."""

    team_name = serializers.CharField(source="team.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Call
        fields = ["id", "received_at", "status", "address", "nature", "team_name"]


class TelephonyAnsweredSerializer(serializers.Serializer):
    """What a phone system reports when a call is answered (dispatch/telephony.py)."""

    call_id = serializers.CharField(max_length=64, help_text="The phone system's own id for this phone call.")
    ani = serializers.RegexField(
        r"^[0-9+()\-. ]{0,32}$",
        required=False,
        allow_blank=True,
        default="",
        help_text="The caller's number (ANI), matched to the callback number of the call the desk takes.",
        error_messages={"invalid": "Enter a phone number (digits, spaces, + ( ) - .)."},
    )
    rang_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the call reached the centre (rang)."
    )
    answered_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When it was picked up; default now."
    )

    def validate(self, data):
        for name in ("rang_at", "answered_at"):
            value = data.get(name)
            if value is not None and value < IntakeSerializer.EARLIEST_RECEIVED:
                raise serializers.ValidationError({name: "Must be after 2000."})
        return data


class TelephonyCallSerializer(serializers.Serializer):
    call_id = serializers.CharField(source="ref")
    ani = serializers.CharField()
    rang_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField()
    call = serializers.IntegerField(source="call_id", allow_null=True, help_text="The desk's call, once matched.")
