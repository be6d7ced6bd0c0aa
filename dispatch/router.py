"""Routing runs: rank every waiting call in a region against every team, match jointly, offer.

The ranking itself is the pure `dispatch.routing.rank` / `match`; this module
loads the facts once per run, takes the locks and writes the outcome.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crisis.errors import Conflict
from programs import plugins as program_plugins
from responders.models import Team, TeamStatus

from . import interpreter, jobs, reoffer, routing, selectors, warm
from .assignments import assignment_offer
from .models import Assignment, Call, Status, Triage
from .timeline import record_event

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """The read half of a routing run: every call ranked against every team, and the joint match."""

    now: datetime
    teams: Mapping[int, Team]
    ranked: dict[int, list[routing.Candidate]] = field(default_factory=dict)
    chosen: dict[int, routing.Candidate] = field(default_factory=dict)
    # Calls the joint match holds for a team about to clear (routing.HOLD_MARGIN_SECONDS): call id -> that team.
    held: dict[int, routing.Candidate] = field(default_factory=dict)
    refusals: dict[int, dict[int, reoffer.Refusal]] = field(default_factory=dict)

    def waiting_reason(self, call_id: int) -> str:
        hold = self.held.get(call_id)
        if hold is not None:
            return (
                f"Held for {hold.team_name}: clears and arrives in ~{round(hold.eta_seconds / 60)} min, "
                f"sooner than any free team by over {round(routing.HOLD_MARGIN_SECONDS / 60)} min"
            )
        return reoffer.waiting_reason(
            self.ranked[call_id],
            refusals=self.refusals[call_id],
            now=self.now,
            cooldown_seconds=settings.REOFFER_COOLDOWN_SECONDS,
            chosen_elsewhere=frozenset(c.team_id for cid, c in self.chosen.items() if cid != call_id),
        )


def plan(
    calls: list[Call],
    *,
    region: str,
    now: datetime,
    refusals: dict[int, dict[int, reoffer.Refusal]] | None = None,
    screens: dict[int, Triage] | None = None,
) -> Plan:
    """Rank and match, writing nothing (the router acts on it; tests ask it whether a call strands).

    `refusals` and `screens`: given by a caller that already has them (call_route_new), read otherwise."""
    if not calls:
        return Plan(now=now, teams={})
    # Status, position and workload fresh from this transaction; what each team is, warm (warm.py).
    snap = warm.snapshot(region=region, now=now)
    out = Plan(now=now, teams=snap.teams)
    out.refusals = selectors.refusals([c.pk for c in calls]) if refusals is None else refusals
    screens = selectors.latest_screens(calls) if screens is None else screens
    config, eta = selectors.routing_config(), selectors.eta_estimator()
    plugins = program_plugins.overriding("assess")
    programs = snap.programs
    cooldown = settings.REOFFER_COOLDOWN_SECONDS

    def rank(
        call: Call, *, last_resort_for: frozenset[int] = frozenset(), waive: frozenset[str] = frozenset()
    ) -> list[routing.Candidate]:
        facts, wants = selectors.call_facts(call, screens.get(call.pk))
        if waive:
            facts = dataclasses.replace(facts, needs=facts.needs - waive)
        excluded = reoffer.exclusions(
            out.refusals[call.pk], now=now, cooldown_seconds=cooldown, last_resort_for=last_resort_for
        )
        # Whether a program's area covers the call is one answer per program, not one per team.
        covers = {pid: p.covers(call.latitude, call.longitude) for pid, p in programs.items()}
        # Most calls change no team's facts (every area covers them, no refusal cooling down): the run's own.
        team_facts = (
            [
                selectors.call_team_facts(f, programs[f.program_id], call=call, excluded=excluded, covers=covers)
                for f in snap.base
            ]
            if excluded or not all(covers.values())
            else snap.base
        )
        return routing.rank(facts, team_facts, eta=eta, plugins=plugins, config=config, wants=wants)

    out.ranked = {call.pk: rank(call) for call in calls}
    out.chosen = routing.match(
        out.ranked, {c.pk: c.priority or 3 for c in calls}, holds=config.hold_for_clearing_team, held=out.held
    )
    # Last resort (reoffer.py): a call no other eligible team is free for goes back at once to a team
    # that let its offer lapse, the longest-lapsed first; most urgent calls first.
    taken = {c.team_id for c in out.chosen.values()}
    for call in sorted(calls, key=lambda c: (c.priority or 3, c.received_at, c.pk)):
        if call.pk in out.chosen or call.pk in out.held:
            continue
        for team_id in reoffer.last_resort_order(out.refusals[call.pk], now=now, cooldown_seconds=cooldown):
            if team_id in taken:
                continue
            again = rank(call, last_resort_for=frozenset({team_id}))
            pick = next((c for c in again if c.team_id == team_id and c.eligible and c.available_now), None)
            if pick is not None:
                pick.notes.append("Let the offer lapse: asked again, no other eligible team is free")
                out.ranked[call.pk], out.chosen[call.pk] = again, pick
                taken.add(team_id)
                break
    # Interpreter line (interpreter.py): a call that still has no team only because no free team speaks its
    # language goes to the best team eligible in every other way, which calls the interpreter line.
    for call in sorted(calls, key=lambda c: (c.priority or 3, c.received_at, c.pk)):
        waive = interpreter.waivable(call) if call.pk not in out.chosen and call.pk not in out.held else frozenset()
        if waive:
            again = rank(call, waive=waive)
            pick = next((c for c in again if c.eligible and c.available_now and c.team_id not in taken), None)
            if pick is not None:
                pick.notes.append(interpreter.note(call.language))
                out.ranked[call.pk], out.chosen[call.pk] = again, pick
                taken.add(pick.team_id)
    return out


def calls_route_waiting(*, region: str, call_ids: Collection[int] | None = None) -> list[Assignment]:
    """Route every waiting call in a region jointly; offer (or recommend) the matches.

    `call_ids`: only these of them (call_intake routes its new call in its own transaction; the region's
    backlog is the worker's, whose run every freed team and every lost offer enqueues).

    Waiting calls are locked with SKIP LOCKED, so a second worker running at
    the same time simply finds nothing to do; each team claim is a
    conditional UPDATE, so a dispatcher assigning by hand meanwhile wins or
    loses cleanly. Running it twice changes nothing the second time.
    """
    # A run is all or nothing for its caller: no savepoint of its own inside a caller's transaction (call_intake
    # wraps it in one to recover from a failed run; a worker's run is its own transaction).
    with transaction.atomic(savepoint=False):
        calls = selectors.waiting_calls_locked(region=region, call_ids=call_ids)
        if not calls:
            return []
        return _route(calls, region=region)


def call_route_new(*, call: Call, screen: Triage) -> list[Assignment]:
    """Route a call the caller's transaction has just created and triaged (call_intake): the same run as
    `calls_route_waiting(call_ids=[call.pk])`, from what the transaction already has. Its row is this
    transaction's own (no other one can see it, so there is no lock to take and nothing to read back), it can
    have no refusal yet, and its screen is the one just written: three statements fewer on the hot path."""
    if call.status != Status.AWAITING_TEAM:
        return []
    # Routing writes its own copy, as it does a row it read: the caller's object stays the triage's (call_intake
    # builds its page from the copies its writes left, dispatch/calls.py::_intake_page).
    routed = copy.copy(call)
    with transaction.atomic(savepoint=False):
        return _route([routed], region=call.region, refusals={call.pk: {}}, screens={call.pk: screen})


def _route(
    calls: list[Call],
    *,
    region: str,
    refusals: dict[int, dict[int, reoffer.Refusal]] | None = None,
    screens: dict[int, Triage] | None = None,
) -> list[Assignment]:
    """A routing run over calls its caller holds (locked, or its own): plan, explain, offer."""
    offers: list[Assignment] = []
    unsaved: dict[int, list[str]] = {}
    now = timezone.now()
    decided = plan(calls, region=region, now=now, refusals=refusals, screens=screens)
    chosen, by_id = decided.chosen, decided.teams
    recommend = settings.ROUTING_MODE == "recommend"
    for call in calls:
        pick = chosen.get(call.pk)
        before = call.routing_explanation or {}
        call.routing_explanation = _explain(decided.ranked[call.pk], pick, now, joint=len(calls) > 1)
        if pick is None:
            call.routing_explanation |= {
                "waiting_reason": decided.waiting_reason(call.pk),
                "waiting_since": _waiting_since(call, decided.refusals[call.pk]).isoformat(),
            }
        call.last_routed_at = now
        fields = ["routing_explanation", "last_routed_at"]
        new_recommendation = pick.team_id if (recommend and pick) else None
        recommendation_changed = recommend and call.recommended_team_id != new_recommendation
        if recommendation_changed:
            call.recommended_team_id = new_recommendation
            fields.append("recommended_team")
        if pick is not None and not recommend:
            # The offer below writes the explanation with its own row (one statement, not two); a lost offer saves it.
            unsaved[call.pk] = fields
            continue
        call.save(update_fields=fields)
        if recommendation_changed and pick is not None:
            # Only a changed recommendation is news: re-running the router
            # must not repeat the event.
            record_event(
                call, "call.recommended", by=None, team=by_id[pick.team_id], eta_seconds=round(pick.eta_seconds)
            )
        reason = call.routing_explanation.get("waiting_reason")
        if reason and reason != before.get("waiting_reason"):
            # A changed reason is news for the board (the row carries it); the same one again is not.
            record_event(call, "call.waiting", by=None, reason=reason, since=call.routing_explanation["waiting_since"])
    if recommend:
        return offers
    calls_by_id = {c.pk: c for c in calls}
    lost_race = False
    # Claim teams in one global order (team id): two routers claiming the
    # same pair of teams in opposite orders would deadlock otherwise.
    for call_id, pick in sorted(chosen.items(), key=lambda kv: kv[1].team_id):
        try:
            call, team = calls_by_id[call_id], by_id[pick.team_id]
            # No savepoint here: assignment_offer writes nothing when it raises Conflict (its own takes a
            # refused offer's claim back).
            offers.append(
                assignment_offer(call=call, team=team, eta_seconds=pick.eta_seconds, unsaved=unsaved[call_id])
            )
        except Conflict:
            call.save(update_fields=unsaved[call_id])
            # Lost the team to a racing dispatcher or worker: route again as soon as this run
            # commits, with that team out of the picture, rather than wait for the sweep. Only a
            # team really gone counts: anything else would loop, and is the sweep's to retry.
            lost_race = lost_race or not Team.objects.filter(pk=pick.team_id, status=TeamStatus.AVAILABLE).exists()
            continue
    if lost_race:
        jobs.enqueue_routing(region=region)
    if offers and settings.FAULT_ROUTING_HOLD_SECONDS:
        _hold_for_fault_suite(offers)
    return offers


def _hold_for_fault_suite(offers: list[Assignment]) -> None:
    """Hold the routing transaction open (FAULT_ROUTING_HOLD_SECONDS) with a log line naming its offers: the
    fault suite kills the worker on that line and checks that none of them committed."""
    calls = ",".join(str(offer.call_id) for offer in offers)
    log.warning("fault hold: routing transaction open, offers uncommitted for calls %s", calls)
    time.sleep(settings.FAULT_ROUTING_HOLD_SECONDS)


def _waiting_since(call: Call, refusals: dict[int, reoffer.Refusal]) -> datetime:
    """Waiting without any offer since: the later of joining the queue and the end of its last offer."""
    moments = [r.at for r in refusals.values()]
    if call.awaiting_since:
        moments.append(call.awaiting_since)
    return max(moments) if moments else call.received_at


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
