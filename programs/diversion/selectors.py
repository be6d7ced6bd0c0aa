"""Reads for the diversion console: the queue (open, and ended in the last hours), each one audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from crisis import audit, permissions, realtime

from .models import OPEN, Diversion
from .rows import DIVERSION_GROUP, diversion_row

RECENT_HOURS = 12
QUEUE_LIMIT = 100


def queue(*, now=None):
    now = now or timezone.now()
    recent = Q(status__in=OPEN) | Q(ended_at__gte=now - timedelta(hours=RECENT_HOURS))
    return (
        Diversion.objects.filter(recent)
        .select_related("call", "clinician")
        .order_by("transferred_at", "pk")[:QUEUE_LIMIT]
    )


def stream_groups_for(user) -> list[str] | None:
    if not permissions.may_work_diversion.test(user):
        return None
    return [DIVERSION_GROUP, realtime.user_group(user.pk)]


def console_snapshot(user) -> dict[str, Any]:
    """The queue with the epoch and sequence number it is current to (read first); one audit row per read."""
    epoch, seq = realtime.current_position([DIVERSION_GROUP])
    rows = [diversion_row(d) for d in queue()]
    # Callers' names and numbers: a read of health information, audited with the ids shown.
    audit.record(actor=user, action="diversion.queue.viewed", ids=[r["id"] for r in rows])
    return {
        "epoch": epoch,
        "seq": seq,
        "now": timezone.now().isoformat(),
        "me": {"id": user.pk, "name": user.get_full_name() or user.get_username()},
        "diversions": rows,
    }


def diversion_detail(*, pk: int, by) -> Diversion:
    diversion = get_object_or_404(Diversion.objects.select_related("call", "clinician"), pk=pk)
    audit.record(actor=by, action="diversion.diversion.viewed", obj=diversion)
    return diversion
