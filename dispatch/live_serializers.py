"""The schema of every row and snapshot the live screens read, for the OpenAPI document and the tests.

The rows themselves are built once, in `dispatch/rows.py` and `dispatch/live.py`; these serializers only
describe them. `tests/dispatch/test_live_serializers.py` checks real rows and snapshots against them,
field for field, so the document, the events and the snapshots cannot drift apart.
"""

from __future__ import annotations

from rest_framework import serializers as s

from .models import Status
from .serializers import CallActionsSerializer


class ClockSerializer(s.Serializer):
    key = s.CharField()
    label = s.CharField()
    started_at = s.DateTimeField()
    near_at = s.DateTimeField()
    target_at = s.DateTimeField()


class AssignmentRowSerializer(s.Serializer):
    id = s.IntegerField()
    team_id = s.IntegerField()
    team_name = s.CharField()
    status = s.CharField()
    offered_at = s.DateTimeField()
    expires_at = s.DateTimeField(allow_null=True)
    eta_seconds = s.IntegerField(allow_null=True)


class UnitRowSerializer(s.Serializer):
    id = s.IntegerField()
    agency = s.ChoiceField(choices=["police", "ems"])
    unit = s.CharField(help_text="The agency's own unit id.")
    incident_number = s.CharField(allow_blank=True)
    status = s.ChoiceField(choices=["dispatched", "en_route", "on_scene", "cleared"])
    dispatched_at = s.DateTimeField()
    en_route_at = s.DateTimeField(allow_null=True)
    on_scene_at = s.DateTimeField(allow_null=True)
    cleared_at = s.DateTimeField(allow_null=True)


class CallRowSerializer(s.Serializer):
    id = s.IntegerField()
    status = s.ChoiceField(choices=Status.choices)
    priority = s.IntegerField(allow_null=True)
    tier = s.CharField(allow_blank=True)
    call_type = s.CharField()
    nature = s.CharField(allow_blank=True)
    address = s.CharField(allow_blank=True)
    latitude = s.FloatField(allow_null=True)
    longitude = s.FloatField(allow_null=True)
    received_at = s.DateTimeField()
    awaiting_since = s.DateTimeField(allow_null=True)
    team_id = s.IntegerField(allow_null=True)
    recommended_team_id = s.IntegerField(allow_null=True)
    unrouted_flagged_at = s.DateTimeField(allow_null=True)
    escalated_at = s.DateTimeField(allow_null=True, help_text="Set once repeated refusals escalated the call.")
    handoff_pending = s.ListField(
        child=s.ChoiceField(choices=["police", "ems"]),
        help_text="Partner agencies (police, ems) that must still take this police/EMS-led call.",
    )
    handoff_since = s.DateTimeField(allow_null=True, help_text="While a hand-off is pending: when triage asked for it.")
    units = UnitRowSerializer(many=True, help_text="Police/EMS units on the call besides the crisis team.")
    interpreter_line = s.CharField(
        allow_null=True,
        help_text="The language (by name) the team on the call needs the interpreter line for: no free team "
        "spoke it (dispatch/interpreter.py). Null when none.",
    )
    waiting_reason = s.CharField(allow_null=True, help_text="Why no team is offered the call, from the last routing.")
    waiting_since = s.DateTimeField(allow_null=True)
    version = s.IntegerField()
    standards = ClockSerializer(many=True)
    assignment = AssignmentRowSerializer(allow_null=True)
    actions = CallActionsSerializer()


class TeamRowSerializer(s.Serializer):
    id = s.IntegerField()
    name = s.CharField()
    status = s.CharField()
    status_changed_at = s.DateTimeField()
    latitude = s.FloatField(allow_null=True)
    longitude = s.FloatField(allow_null=True)
    location_reported_at = s.DateTimeField(allow_null=True)
    version = s.IntegerField()
    actions = s.ListField(child=s.CharField())
    program = s.CharField(required=False, help_text="In snapshots only: the team's program name.")


class AlertRowSerializer(s.Serializer):
    id = s.IntegerField()
    team_id = s.IntegerField()
    team_name = s.CharField()
    raised_by = s.CharField()
    raised_at = s.DateTimeField()
    latitude = s.FloatField(allow_null=True)
    longitude = s.FloatField(allow_null=True)
    location_reported_at = s.DateTimeField(allow_null=True)
    address = s.CharField(
        allow_blank=True,
        help_text="Where the team was, in words: the call's address, or 'near <nearest known address> (~N m)'; "
        "blank when no address is known nearby (then only the coordinates).",
    )
    call_id = s.IntegerField(allow_null=True)
    acknowledged_at = s.DateTimeField(allow_null=True)
    acknowledged_by = s.CharField(allow_null=True)


class FlagSerializer(s.Serializer):
    code = s.CharField()
    label = s.CharField()
    danger = s.BooleanField()


class NoteRowSerializer(s.Serializer):
    at = s.DateTimeField()
    by = s.CharField()
    text = s.CharField(allow_blank=True)


class CallForTeamSerializer(CallRowSerializer):
    """The call as the team's phone shows it: the row plus what a responder needs to go there."""

    call_type_label = s.CharField()
    tier_label = s.CharField(allow_blank=True)
    status_label = s.CharField()
    location_type = s.CharField(allow_blank=True)
    narrative = s.CharField(allow_blank=True)
    person_description = s.CharField(allow_blank=True)
    person_name = s.CharField(allow_blank=True)
    caller_name = s.CharField(allow_blank=True)
    callback_number = s.CharField(allow_blank=True)
    language = s.CharField(allow_blank=True)
    language_name = s.CharField(allow_blank=True)
    interpreter_line_number = s.CharField(allow_blank=True, help_text="settings.INTERPRETER_LINE")
    flags = FlagSerializer(many=True)
    notes = NoteRowSerializer(many=True)


class ClientSettingsSerializer(s.Serializer):
    location_stale_seconds = s.IntegerField()
    offer_timeout_seconds = s.IntegerField()
    location_interval_seconds = s.IntegerField()


class RoutingHealthSerializer(s.Serializer):
    paused = s.BooleanField()
    since = s.DateTimeField(allow_null=True)
    stale_after_seconds = s.IntegerField()


class _Position(s.Serializer):
    epoch = s.CharField(help_text="Changes when the sequence store restarts: resync on a new epoch.")
    seq = s.DictField(child=s.IntegerField(), help_text="Last number sent per group before this snapshot.")
    now = s.DateTimeField()
    settings = ClientSettingsSerializer()


class BoardSnapshotSerializer(_Position):
    calls = CallRowSerializer(many=True)
    teams = TeamRowSerializer(many=True)
    alerts = AlertRowSerializer(many=True)
    routing = RoutingHealthSerializer()


class MyTeamSnapshotSerializer(_Position):
    team = TeamRowSerializer(allow_null=True)
    assignment = AssignmentRowSerializer(allow_null=True)
    call = CallForTeamSerializer(allow_null=True)
    alerts = AlertRowSerializer(many=True)


class NoteCreatedSerializer(s.Serializer):
    at = s.DateTimeField()
    by = s.CharField()
    text = s.CharField()
