"""Reads for the consult screens: each query loads a consult's people, person, plan and thread at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from crisis import audit, permissions, realtime
from crisis.history.services import break_glass_recent

from .models import OPEN, Consult, ConsultMessage, VideoSession
from .rows import consult_row

RECENT_HOURS = 12
SNAPSHOT_LIMIT = 100


def with_rows(queryset):
    return queryset.select_related(
        "officer", "clinician", "backup", "assigned_to", "person__response_plan"
    ).prefetch_related(
        Prefetch("messages", queryset=ConsultMessage.objects.select_related("author")),
        Prefetch("video_sessions", queryset=VideoSession.objects.filter(ended_at__isnull=True), to_attr="open_video"),
    )


def consults_for(user, *, now=None):
    """Open consults and those closed in the last hours that this user follows."""
    now = now or timezone.now()
    mine = Q(status__in=OPEN) | Q(closed_at__gte=now - timedelta(hours=RECENT_HOURS))
    consults = Consult.objects.filter(mine)
    if not permissions.is_consult_supervisor.test(user):
        consults = consults.filter(
            Q(officer=user) | Q(clinician=user) | Q(assigned_to=user) | Q(backup=user, escalated_at__isnull=False)
        )
    return with_rows(consults).order_by("-requested_at", "-pk")[:SNAPSHOT_LIMIT]


def consult_snapshot(user) -> dict[str, Any]:
    """What a consult screen shows, with the epoch and sequence numbers it is current to (read first)."""
    groups = permissions.consult_stream_groups_for(user) or []
    epoch, seq = realtime.current_position(realtime.stream_groups(groups))
    now = timezone.now()
    supervisor = permissions.is_consult_supervisor.test(user)
    rows = [consult_row(c) for c in consults_for(user, now=now)]
    # The rows carry the subject, the linked person's plan and the thread: one audit row per snapshot, with the ids.
    audit.record(actor=user, action="le_consult.consults.viewed", consults=[r["id"] for r in rows])
    return {
        "epoch": epoch,
        "seq": seq,
        "now": now.isoformat(),
        "me": {"id": user.pk, "name": user.get_full_name() or user.get_username(), "supervisor": supervisor},
        "consults": rows,
        "alerts": break_glass_recent() if supervisor else [],
        "settings": {"escalate_seconds": settings.CONSULT_ESCALATE_SECONDS},
    }
