"""Reads for the live screens: the rows events carry and the REST snapshots clients resync from.

An event and a snapshot describe a call or a team with the same row, so a
client can upsert either idempotently. Snapshots read the epoch and sequence
numbers *before* querying: any event of that epoch numbered at or below them
is already in the snapshot, anything later arrives on the socket.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from crisis import languages, permissions, realtime
from responders.models import SosAlert, Team, TeamMember

from . import health, selectors
from .models import ACTIVE_ASSIGNMENT, Assignment, Call, CallEvent, Triage
from .rows import alert_summary, assignment_row, call_summary, team_summary

# Risk flags a responder must see before arriving, most dangerous first.
DANGER_FLAGS = (
    ("assault_in_progress", "Assault in progress"),
    ("imminent_danger", "In danger now"),
    ("weapons", "Weapons"),
    ("lethal_means", "Lethal means at hand"),
    ("violence", "Violence"),
    ("agitation", "Agitated / barricaded"),
    ("medical", "Medical / overdose"),
    ("overdose_risk", "Overdose risk"),
)
OTHER_FLAGS = (
    ("psychosis", "Psychosis / command hallucinations"),
    ("self_harm", "Self-harm"),
    ("medical_need", "Medical need"),
    ("si_behavior", "Recent suicide attempt"),
    ("intoxication", "Intoxicated"),
    ("children_present", "Children present"),
    ("police_on_scene", "Police on scene"),
    ("person_is_minor", "Minor"),
)
SUICIDE_FIELDS = ("si_wish_dead", "si_thoughts", "si_method", "si_intent", "si_plan")


def risk_flags(call: Call, screen: Triage | None) -> list[dict[str, Any]]:
    flags: dict[str, dict[str, Any]] = {}
    if screen is not None:
        for code, label in DANGER_FLAGS:
            if getattr(screen, code):
                flags[code] = {"code": code, "label": label, "danger": True}
        if any(getattr(screen, f) for f in SUICIDE_FIELDS):
            flags["suicide_risk"] = {"code": "suicide_risk", "label": "Suicide risk", "danger": False}
        for code, label in OTHER_FLAGS:
            if getattr(screen, code):
                flags[code] = {"code": code, "label": label, "danger": False}
    person = call.person
    if person is not None:
        if person.known_weapons_access and "weapons" not in flags:
            flags["weapons"] = {"code": "weapons", "label": "Weapons (known access)", "danger": True}
        if person.history_of_violence and "violence" not in flags:
            flags["violence"] = {"code": "violence", "label": "Violence (history)", "danger": True}
    return sorted(flags.values(), key=lambda f: not f["danger"])


def _position_for(user) -> tuple[str, dict[str, int]]:
    return realtime.current_position(realtime.stream_groups(permissions.stream_groups_for(user) or []))


def board_snapshot(user) -> dict[str, Any]:
    """Open calls with their offers, teams and open SOS alerts for a dispatch desk."""
    epoch, seq = _position_for(user)
    now = timezone.now()
    region = permissions.dispatch_region(user)
    calls = selectors.queue(region=region)
    teams = Team.objects.select_related("program").order_by("name")
    alerts = SosAlert.objects.filter(acknowledged_at__isnull=True).select_related("team", "raised_by")
    if region:
        teams = teams.filter(region=region)
        alerts = alerts.filter(team__region=region)
    return {
        "epoch": epoch,
        "seq": seq,
        "now": now.isoformat(),
        "calls": [call_summary(c) for c in calls],
        "teams": [team_summary(t) | {"program": t.program.name} for t in teams],
        "alerts": [alert_summary(a) for a in alerts.order_by("raised_at", "id")],
        "routing": health.routing_health(now),
        "settings": _client_settings(),
    }


def _client_settings() -> dict[str, Any]:
    return {
        "location_stale_seconds": settings.LOCATION_STALE_SECONDS,
        "offer_timeout_seconds": settings.OFFER_TIMEOUT_SECONDS,
        "location_interval_seconds": settings.RESPONDER_LOCATION_INTERVAL_SECONDS,
    }


def call_for_team(call: Call) -> dict[str, Any]:
    """What a responder needs to go to a call: where, who, what to expect, how to call back."""
    screen = next(iter(call.triages.all()), None)
    notes = [
        {"at": e.at.isoformat(), "by": e.actor_label, "text": e.detail.get("text", "")}
        for e in call.events.all()
        if e.kind == "call.note"
    ]
    return call_summary(call) | {
        "call_type_label": call.get_call_type_display(),
        "tier_label": call.get_tier_display(),
        "status_label": call.get_status_display(),
        "location_type": call.get_location_type_display(),
        "narrative": call.narrative,
        "person_description": call.person_description,
        "person_name": str(call.person) if call.person_id else "",
        "caller_name": call.caller_name,
        "callback_number": call.callback_number,
        "language": call.language,
        "language_name": languages.name(call.language),
        "interpreter_line_number": settings.INTERPRETER_LINE,
        "flags": risk_flags(call, screen),
        "notes": notes,
    }


def my_team_snapshot(user) -> dict[str, Any]:
    """A responder's phone: their team, its offer or assignment with the call's details, open SOS alerts."""
    epoch, seq = _position_for(user)
    now = timezone.now()
    membership = TeamMember.objects.select_related("team__program").filter(user=user, active=True).first()
    out: dict[str, Any] = {
        "epoch": epoch,
        "seq": seq,
        "now": now.isoformat(),
        "team": None,
        "assignment": None,
        "call": None,
        "alerts": [],
        "settings": _client_settings(),
    }
    if membership is None:
        return out
    team = membership.team
    out["team"] = team_summary(team) | {"program": team.program.name}
    active = (
        Assignment.objects.filter(team=team, status__in=ACTIVE_ASSIGNMENT)
        .select_related("team", "call__person")
        .prefetch_related(
            Prefetch("call__triages", queryset=Triage.objects.order_by("-at", "-id")),
            Prefetch(
                "call__events",
                queryset=CallEvent.objects.filter(kind="call.note").select_related("actor").order_by("at", "id"),
            ),
        )
        .first()
    )
    if active is not None:
        call = active.call
        call.active_assignments = [active]
        out["assignment"] = assignment_row(active)
        out["call"] = call_for_team(call)
    out["alerts"] = [
        alert_summary(a)
        for a in SosAlert.objects.filter(team=team, acknowledged_at__isnull=True)
        .select_related("team", "raised_by")
        .order_by("raised_at", "id")
    ]
    return out
