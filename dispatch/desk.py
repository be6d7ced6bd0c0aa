"""Live operations' side of the call desk port (programs.plugins.CallDesk): programs below dispatch open,
screen and resolve calls through it, each method one of dispatch's services."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from programs.plugins import CallProgress

from . import selectors, triage
from .calls import call_create, call_resolve_by_phone, call_triage
from .models import ACTIVE_ASSIGNMENT, FIELD_TIERS, Assignment, AssignmentStatus, Call, CallType, Status, Triage
from .timeline import record_event


class DispatchCallDesk:
    def screen_fields(self) -> list[tuple[str, str]]:
        return [(name, str(Triage._meta.get_field(name).verbose_name)) for name in triage.SCREEN_FIELDS]

    def screen_tier(self, screen: Mapping[str, bool]) -> str:
        return triage.evaluate(screen).tier

    def field_tiers(self) -> frozenset[str]:
        return frozenset(FIELD_TIERS)

    def call_types(self) -> list[tuple[str, str]]:
        return list(CallType.choices)

    def call_create(self, *, by, **fields: Any):
        return call_create(by=by, **fields)

    def call_screen(self, *, call, by, screen: Mapping[str, bool]) -> str:
        return call_triage(call=call, screen=dict(screen), by=by).tier

    def call_resolve_by_phone(self, *, call, by, note: str = ""):
        return call_resolve_by_phone(call=call, by=by, note=note)

    def call_timeline_add(self, *, call_id: int, kind: str, by, text: str, **detail: Any) -> None:
        # A program's fact about the call (a video consult on it) is the call's history: the timeline holds it,
        # written here like every other event, never a second log in the program.
        if not kind.startswith("call.") or kind.count(".") != 1:
            raise ValueError(f"A program's timeline event is named call.<word>, not {kind!r}.")
        record_event(Call.objects.get(pk=call_id), kind, by=by, text=text[:2000], **detail)

    def call_progress(self, call_id: int) -> CallProgress | None:
        call = Call.objects.filter(pk=call_id).first()
        if call is None:
            return None
        # call_advance stamps arrived_at just after the on-scene event this may be answering: the status says it.
        arrived_at = call.arrived_at or (
            call.status_changed_at if call.status in (Status.ON_SCENE, Status.TRANSPORTING) else None
        )
        progress = {
            "call_id": call.pk,
            "status": call.status,
            "status_label": call.get_status_display(),
            "open": call.is_open,
            "arrived_at": arrived_at,
        }
        active = (
            Assignment.objects.filter(call_id=call.pk, status__in=ACTIVE_ASSIGNMENT).select_related("team").first()
            if progress["open"]
            else None
        )
        if active is None:
            return CallProgress(**progress)
        team = active.team
        progress |= {
            "team_id": team.pk,
            "team_name": team.name,
            "team_accepted": active.status == AssignmentStatus.ACCEPTED,
            "team_latitude": team.latitude,
            "team_longitude": team.longitude,
            "located_at": team.location_reported_at,
        }
        if arrived_at is not None:
            return CallProgress(**progress)
        now = timezone.now()
        fresh = team.location_reported_at and (now - team.location_reported_at).total_seconds() <= (
            settings.LOCATION_STALE_SECONDS
        )
        both_placed = None not in (team.latitude, team.longitude, call.latitude, call.longitude)
        if fresh and both_placed:
            # The same estimate routing ranks teams by, from where the team is now.
            travel = selectors.eta_estimator().travel_seconds(
                team.latitude, team.longitude, call.latitude, call.longitude
            )
            progress |= {"eta_at": now + timedelta(seconds=travel), "eta_source": "position"}
        elif active.eta_seconds is not None:
            # No fresh position: the routing estimate, counted from when the team was offered the call.
            progress |= {"eta_at": active.offered_at + timedelta(seconds=active.eta_seconds), "eta_source": "routing"}
        return CallProgress(**progress)
