"""When a team that refused a call is offered it again, when a refusing call escalates, why a call waits.

The policy (issue 9: a call must never strand while a team could take it):

- A team that **declined** a call, let its offer **lapse**, or was **withdrawn** from it by the
  dispatch desk with a reason (`recalled`) is not offered that call again for
  `REOFFER_COOLDOWN_SECONDS`, counted from the refusal. Other teams are asked first; the call is
  never excluded for good.
- A team that let the offer **lapse** is offered the call again at once, cool-down or not, when no
  other eligible team is free for it (the *last resort*): a lapse says nobody looked at the phone,
  not that the team cannot go, so ringing it again beats leaving the call with nobody.
- A **decline** (a responder looked and said no, with a reason) and a **withdrawal** (the dispatcher
  took the team off) sit out the whole cool-down even when nobody else is free: asking again within
  seconds gets the same answer and teaches responders to swipe offers away; the board says which
  team is cooling down until when, and the dispatcher can assign by hand at any moment.
- When the cool-down ends the call goes back to routing (a routing job timed for it, and the sweep
  as the safety net), so a call waits only while no eligible team is free.
- `REOFFER_ESCALATE_AFTER` refused offers (declined or lapsed) in one wait escalate the call once:
  a `call.escalated` event to the dispatch desk and the supervisors.

Everything here is pure: the router, the sweep and the rows feed it facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

DECLINED, LAPSED, RECALLED = "declined", "lapsed", "recalled"
# Refusals that count towards escalation: the dispatcher's own withdrawals do not.
ESCALATING = frozenset({DECLINED, LAPSED})
# '<n> declined (cool-down until 14:05)' on the board; 'Team A declined' in an escalation.
REFUSAL_LABELS = {DECLINED: "declined", LAPSED: "let the offer lapse", RECALLED: "withdrawn by dispatch"}
# Why one team is not offered the call, in the routing explanation.
EXCLUSION_LABELS = {
    DECLINED: "Declined this call",
    LAPSED: "Let this call's offer lapse",
    RECALLED: "Withdrawn from this call by dispatch",
}


@dataclass(frozen=True)
class Refusal:
    """A team's latest refusal of one call: how, and when it ended."""

    team_id: int
    kind: str
    at: datetime


def hhmm(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def cooldown_until(refusal: Refusal, cooldown_seconds: float) -> datetime:
    return refusal.at + timedelta(seconds=cooldown_seconds)


def in_cooldown(refusal: Refusal | None, *, now: datetime, cooldown_seconds: float) -> bool:
    return refusal is not None and now < cooldown_until(refusal, cooldown_seconds)


def exclusion(refusal: Refusal | None, *, now: datetime, cooldown_seconds: float, last_resort: bool) -> str | None:
    """Why this team is not offered this call now, or None when it may be.

    `last_resort` is true on the router's second pass, for a call no other eligible team is free for:
    a lapsed team may then be asked again at once.
    """
    if not in_cooldown(refusal, now=now, cooldown_seconds=cooldown_seconds):
        return None
    if last_resort and refusal.kind == LAPSED:
        return None
    until = hhmm(cooldown_until(refusal, cooldown_seconds))
    return f"{EXCLUSION_LABELS[refusal.kind]}: cool-down until {until}"


def exclusions(
    refusals: Mapping[int, Refusal],
    *,
    now: datetime,
    cooldown_seconds: float,
    last_resort_for: frozenset[int] = frozenset(),
) -> dict[int, str]:
    """Team id -> why it is not offered this call now, for the teams whose refusal still counts.

    `last_resort_for`: the teams the router's second pass asks to take the call back (see `last_resort_order`).
    """
    out = {}
    for team_id, refusal in refusals.items():
        last_resort = team_id in last_resort_for
        reason = exclusion(refusal, now=now, cooldown_seconds=cooldown_seconds, last_resort=last_resort)
        if reason:
            out[team_id] = reason
    return out


def last_resort_order(refusals: Mapping[int, Refusal], *, now: datetime, cooldown_seconds: float) -> list[int]:
    """The lapsed teams still cooling down, longest-lapsed first: the order a last resort asks them in,
    so two teams that both let a call lapse take turns instead of one being rung again and again."""
    lapsed = [
        r for r in refusals.values() if r.kind == LAPSED and in_cooldown(r, now=now, cooldown_seconds=cooldown_seconds)
    ]
    return [r.team_id for r in sorted(lapsed, key=lambda r: (r.at, r.team_id))]


def should_escalate(refusal_kinds: Iterable[str], *, threshold: int, already_escalated: bool) -> bool:
    """Escalate once per wait, when the refusals of this wait reach the threshold."""
    return not already_escalated and sum(1 for k in refusal_kinds if k in ESCALATING) >= threshold


# --- why a call waits ------------------------------------------------------------------------------
# The same words whether this run offers the team another call or an earlier run did, so that
# routing again changes nothing.
OFFERED_ANOTHER = "offered another call"


def _phrase(reason: str) -> str:
    """A candidate's first reason, as '<count> <phrase>' reads: '3 lack a licensed clinician'."""
    if reason.startswith("Needs "):
        return "lack " + reason.removeprefix("Needs ")
    if reason == "Team has a pending offer":
        return OFFERED_ANOTHER
    if reason.startswith("Team is "):
        return reason.removeprefix("Team is ")
    return reason[:1].lower() + reason[1:]


def waiting_reason(
    candidates: Iterable,
    *,
    refusals: Mapping[int, Refusal],
    now: datetime,
    cooldown_seconds: float,
    chosen_elsewhere: frozenset[int] = frozenset(),
) -> str:
    """Why no team is offered this call, derived from the routing explanation's candidates.

    `candidates` are `routing.Candidate`s (eligible and not). Teams cooling down after a refusal are
    counted apart, with the earliest moment one of them may be asked again.
    """
    cooling: dict[str, list[datetime]] = {}
    counts: Counter[str] = Counter()
    for c in candidates:
        refusal = refusals.get(c.team_id)
        if in_cooldown(refusal, now=now, cooldown_seconds=cooldown_seconds) and not c.eligible:
            cooling.setdefault(refusal.kind, []).append(cooldown_until(refusal, cooldown_seconds))
        elif c.eligible and c.available_now and c.team_id in chosen_elsewhere:
            counts[OFFERED_ANOTHER] += 1
        elif c.eligible and not c.available_now:
            counts["busy on a call"] += 1
        elif not c.eligible:
            counts[_phrase(c.reasons[0]) if c.reasons else "not eligible"] += 1
    if not cooling and not counts:
        return "No team on shift in this region"
    parts = [
        f"{len(untils)} {REFUSAL_LABELS[kind]} (cool-down until {hhmm(min(untils))})"
        for kind, untils in sorted(cooling.items(), key=lambda kv: min(kv[1]))
    ]
    parts += [f"{n} {phrase}" for phrase, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return "No eligible team free: " + ", ".join(parts)
