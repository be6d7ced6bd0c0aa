"""Routing runs: rank every waiting call in a region against every team, match jointly, offer.

The ranking itself is the pure `dispatch.routing.rank` / `match`; this module
loads the facts once per run, takes the locks and writes the outcome.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crisis.errors import Conflict
from programs import plugins as program_plugins

from . import routing, selectors
from .assignments import assignment_offer
from .models import Assignment, Triage
from .timeline import record_event


def calls_route_waiting(*, region: str) -> list[Assignment]:
    """Route every waiting call in a region jointly; offer (or recommend) the matches.

    Waiting calls are locked with SKIP LOCKED, so a second worker running at
    the same time simply finds nothing to do; each team claim is a
    conditional UPDATE, so a dispatcher assigning by hand meanwhile wins or
    loses cleanly. Running it twice changes nothing the second time.
    """
    offers: list[Assignment] = []
    with transaction.atomic():
        calls = list(
            selectors.waiting_calls_for_routing(region=region)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("person")
        )
        if not calls:
            return offers
        now = timezone.now()
        teams = selectors.routing_teams(region=region, now=now)
        workloads = selectors.team_workloads([t.pk for t in teams], now)
        excluded = selectors.exclusions([c.pk for c in calls])
        screens = {
            t.call_id: t for t in Triage.objects.filter(call__in=calls).order_by("call_id", "at", "id")
        }  # later rows overwrite earlier: the latest screen per call
        config, eta = selectors.routing_config(), selectors.eta_estimator()
        plugins = program_plugins.registered()
        base = [(t, selectors.team_base_facts(t, now=now, workload=workloads[t.pk])) for t in teams]
        ranked: dict[int, list[routing.Candidate]] = {}
        for call in calls:
            facts, wants = selectors.call_facts(call, screens.get(call.pk))
            team_facts = [selectors.team_facts_for_call(f, t, call=call, excluded=excluded[call.pk]) for t, f in base]
            ranked[call.pk] = routing.rank(facts, team_facts, eta=eta, plugins=plugins, config=config, wants=wants)
        chosen = routing.match(ranked, {c.pk: c.priority or 3 for c in calls})
        by_id = {t.pk: t for t in teams}
        recommend = settings.ROUTING_MODE == "recommend"
        for call in calls:
            pick = chosen.get(call.pk)
            call.routing_explanation = _explain(ranked[call.pk], pick, now, joint=len(calls) > 1)
            call.last_routed_at = now
            fields = ["routing_explanation", "last_routed_at"]
            new_recommendation = pick.team_id if (recommend and pick) else None
            recommendation_changed = recommend and call.recommended_team_id != new_recommendation
            if recommendation_changed:
                call.recommended_team_id = new_recommendation
                fields.append("recommended_team")
            call.save(update_fields=fields)
            if recommendation_changed and pick is not None:
                # Only a changed recommendation is news: re-running the router
                # must not repeat the event.
                record_event(
                    call, "call.recommended", by=None, team=by_id[pick.team_id], eta_seconds=round(pick.eta_seconds)
                )
        if recommend:
            return offers
        calls_by_id = {c.pk: c for c in calls}
        # Claim teams in one global order (team id): two routers claiming the
        # same pair of teams in opposite orders would deadlock otherwise.
        for call_id, pick in sorted(chosen.items(), key=lambda kv: kv[1].team_id):
            try:
                call, team = calls_by_id[call_id], by_id[pick.team_id]
                with transaction.atomic():
                    offers.append(assignment_offer(call=call, team=team, eta_seconds=pick.eta_seconds))
            except Conflict:
                # Lost the team to a racing dispatcher or worker; the sweep or
                # the next freed team retries this call.
                continue
    return offers


def _explain(ranked, pick, now, *, joint: bool) -> dict[str, Any]:
    eligible = [c for c in ranked if c.eligible]
    ineligible = [c for c in ranked if not c.eligible]
    return {
        "at": now.isoformat(),
        "mode": settings.ROUTING_MODE,
        "joint": joint,
        "chosen": pick.as_dict() if pick else None,
        "candidates": [c.as_dict() for c in eligible[:6]],
        "ineligible": [c.as_dict() for c in ineligible[:25]],
        "ineligible_count": len(ineligible),
    }
