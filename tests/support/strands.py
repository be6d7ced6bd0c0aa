"""The invariant of issue 9: no call awaits a team while a team could take it.

`assert_no_call_strands()` fails when a call is awaiting a team with no offer out while a team is
Available, eligible for it and not cooling down after a refusal of it (dispatch/reoffer.py; a team
that let the offer lapse counts as free when nobody else is, as the router's last resort does).
It asks the router's own read half (`dispatch.router.plan`, which writes nothing) what it would
offer now, so it holds the system to the eligibility rules it has, whatever they become.

Workers and browsers act asynchronously: `settle_seconds` gives routing that is already on its way
(an event-driven job, the sweep) that long to land before a strand counts.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone


def call_strands() -> list[str]:
    """Each stranded call, as a sentence naming the team that could take it."""
    from dispatch import router, selectors
    from dispatch.models import Call, Status

    out = []
    regions = sorted(set(Call.objects.filter(status=Status.AWAITING_TEAM).values_list("region", flat=True)))
    for region in regions:
        calls = list(selectors.waiting_calls_for_routing(region=region).select_related("person"))
        if settings.ROUTING_MODE == "recommend":
            calls = [c for c in calls if c.recommended_team_id is None]  # waits for the desk's confirm
        decided = router.plan(calls, region=region, now=timezone.now())
        for call in calls:
            pick = decided.chosen.get(call.pk)
            if pick is not None:
                out.append(
                    f"call #{call.pk} ({call.nature}) awaits a team since {call.awaiting_since:%H:%M:%S} while "
                    f"{pick.team_name} is available, eligible and not cooling down"
                )
    return out


def assert_no_call_strands(*, settle_seconds: float = 0.0) -> None:
    deadline = time.monotonic() + settle_seconds
    while True:
        strands = call_strands()
        if not strands:
            return
        if time.monotonic() >= deadline:
            raise AssertionError("Calls strand:\n" + "\n".join(strands))
        time.sleep(0.25)
