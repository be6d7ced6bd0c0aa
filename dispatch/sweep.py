"""The periodic safety net: nothing waits unnoticed because one message was lost."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import selectors, standards
from .assignments import assignment_lapse
from .models import Assignment, AssignmentStatus, Call, CallEvent, Status
from .router import calls_route_waiting
from .timeline import lock_call, record_event

# Clocks whose near-breach is pushed to the boards as a timeline event by the sweep.
PUSHED_STANDARDS = ("dispatch", "arrival")


def calls_sweep(*, now=None) -> dict[str, int]:
    """Periodic safety net: lapse overdue offers, re-route stranded calls, flag long waits.

    No call can be stranded by one lost message: whatever the queue dropped,
    this finds within one sweep interval.
    """
    now = now or timezone.now()
    lapsed = 0
    for assignment_id in Assignment.objects.filter(status=AssignmentStatus.OFFERED, expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        lapsed += assignment_lapse(assignment_id=assignment_id)

    regions = set(Call.objects.filter(status=Status.AWAITING_TEAM).values_list("region", flat=True).distinct())
    for region in regions:
        if selectors.waiting_calls_for_routing(region=region).exists():
            calls_route_waiting(region=region)

    flagged = 0
    threshold = now - timedelta(seconds=settings.UNROUTED_FLAG_SECONDS)
    for call_id in Call.objects.filter(
        status=Status.AWAITING_TEAM, awaiting_since__lte=threshold, unrouted_flagged_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            call = lock_call(call_id)
            if call.status != Status.AWAITING_TEAM or call.unrouted_flagged_at is not None:
                continue
            call.unrouted_flagged_at = now
            call.save(update_fields=["unrouted_flagged_at"])
            record_event(call, "call.unrouted_flagged", by=None, waiting_seconds=round(call.waiting_seconds(now)))
            flagged += 1
    warned = calls_warn_standards(now=now)
    return {"lapsed": lapsed, "regions_routed": len(regions), "flagged": flagged, "warned": warned}


def calls_warn_standards(*, now=None) -> int:
    """Push a warning once per call and standard when a response clock nears or passes its target.

    The board ticks the clocks itself; this event makes the warning reach
    supervisors and the call's timeline even when no board is open.
    """
    now = now or timezone.now()
    open_calls = list(
        Call.objects.filter(status__in=[Status.AWAITING_TEAM, Status.ASSIGNED, Status.EN_ROUTE, Status.TRIAGED])
    )
    if not open_calls:
        return 0
    already = set(
        CallEvent.objects.filter(call__in=open_calls, kind="call.standard_warning").values_list(
            "call_id", "detail__standard"
        )
    )
    configured = standards.configured_standards()
    warned = 0
    for call in open_calls:
        for clock in standards.clocks_for(call, now, configured):
            if clock.stopped or clock.key not in PUSHED_STANDARDS or clock.state == standards.OK:
                continue
            if (call.pk, clock.key) in already:
                continue
            with transaction.atomic():
                locked = lock_call(call.pk)
                if not locked.is_open:
                    continue
                record_event(
                    locked,
                    "call.standard_warning",
                    by=None,
                    standard=clock.key,
                    state=clock.state,
                    target_at=clock.target_at.isoformat(),
                )
            warned += 1
    return warned
