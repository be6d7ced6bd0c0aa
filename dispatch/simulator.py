"""The demo's simulated shift: `make run`'s teams answer offers, drive to the call, arrive, clear, and new calls
come in now and then, so a newcomer watching the board for an hour sees a believable shift rather than a board of
red breaches and "No team" after five minutes.

Off unless DEMO_SIMULATOR=1 (the Makefile's `run` sets it; tests and production never do). A beat task
(dispatch.tasks.simulate) calls `simulator_tick` every DEMO_SIMULATOR_SECONDS in the embedded worker. Every step
goes through the same services a phone or the desk uses, as a member of the team (or, for a new call, the phone
system and the intake): the simulator holds no rules of its own, only the pacing of a calm shift.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.utils import timezone

from crisis.errors import DomainError
from crisis.models import User
from responders.models import Credential, Team, TeamMember, TeamStatus

from . import assignments, calls, team_state
from .models import OPEN_STATUSES, Assignment, AssignmentStatus, Call, Status

log = logging.getLogger(__name__)

# The pace of a calm demo shift (seconds). A real team takes longer; an hour of demo should show several calls
# through from offer to clear.
ACCEPT_AFTER = 8  # a responder reads the offer and taps Accept
LEAVE_AFTER = 10  # then gets in the car
ON_SCENE_FOR = 150  # talks with the person, then clears
STEP_FRACTION = 0.35  # of the remaining distance driven per tick
ARRIVED_KM = 0.15
NEW_CALL_EVERY = 120  # at most one new call this often, and only while few are open
MAX_OPEN_CALLS = 4
POSITION_EVERY = 60  # an on-shift phone reports its position (a stale team is not routed as if it were there)

DISPOSITIONS = ("stabilized", "referred", "stabilized")

# New demo calls: what the desk hears and the screen it would record. Community-tier screens, so a mobile team
# answers them (a weapons call would wait for a co-response team the demo may not have on shift).
DEMO_CALLS = (
    (dict(call_type="suicidal", nature="Suicidal thoughts, alone at home", location_type="residence",
          address="1530 N Damen Ave", latitude=41.9097, longitude=-87.6774, person_description="Man, 30s"),
     {"si_wish_dead": True, "si_thoughts": True}),
    (dict(call_type="mental_health", nature="Hearing voices, frightened", location_type="residence",
          address="2400 W Division St", latitude=41.9030, longitude=-87.6866, person_description="Woman, 50s"),
     {}),
    (dict(call_type="welfare_check", nature="Neighbour not seen for days", location_type="residence",
          address="800 S Halsted St", latitude=41.8713, longitude=-87.6470, person_description="Older man"),
     {}),
    (dict(call_type="substance_use", nature="Disoriented after drinking, outside a shop", location_type="street",
          address="1600 N Milwaukee Ave", latitude=41.9103, longitude=-87.6772, person_description="Man, 20s"),
     {"intoxication": True}),
    (dict(call_type="homelessness", nature="Sleeping out in the cold, confused", location_type="street",
          address="400 S Clark St", latitude=41.8760, longitude=-87.6310, person_description="Woman, 60s"),
     {}),
)  # fmt: skip


@dataclass
class TickReport:
    accepted: list[int] = field(default_factory=list)
    left: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    arrived: list[int] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)
    new_calls: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _member(team_id: int) -> User | None:
    """The team member the simulator taps for: the lead (an intern never acts for the team alone)."""
    member = (
        TeamMember.objects.filter(team_id=team_id, active=True, user__is_active=True)
        .exclude(credential=Credential.INTERN)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return member.user if member else None


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat = (lat2 - lat1) * 111.0
    dlon = (lon2 - lon1) * 111.0 * math.cos(math.radians(lat1))
    return math.hypot(dlat, dlon)


def simulator_tick(*, now: datetime | None = None, rng: random.Random | None = None, new_calls: bool = True):
    """One step of the simulated shift. Each action is a service call; a refusal (the desk got there first) is
    logged and skipped, never forced."""
    now = now or timezone.now()
    rng = rng or random.Random()
    report = TickReport()

    def attempt(label: str, fn, **kwargs):
        try:
            return fn(**kwargs)
        except (DomainError, PermissionDenied) as exc:
            message = getattr(exc, "message", str(exc))
            report.refused.append(f"{label}: {message}")
            log.info("demo simulator: %s refused: %s", label, message)
            return None

    # Offers: the team accepts after a moment.
    for offer in Assignment.objects.filter(status=AssignmentStatus.OFFERED, offered_at__lte=now - timedelta(
        seconds=ACCEPT_AFTER
    )).select_related("team"):  # fmt: skip
        user = _member(offer.team_id)
        if user and attempt(f"accept offer {offer.pk}", assignments.assignment_accept, assignment=offer, by=user):
            report.accepted.append(offer.call_id)

    working = Call.objects.filter(status__in=(Status.ASSIGNED, Status.EN_ROUTE, Status.ON_SCENE, Status.TRANSPORTING))
    for call in working.exclude(team=None).select_related("team"):
        user = _member(call.team_id)
        if user is None:
            continue
        if call.status == Status.ASSIGNED and call.status_changed_at <= now - timedelta(seconds=LEAVE_AFTER):
            if attempt(f"call {call.pk} en route", assignments.call_advance, call=call, to=Status.EN_ROUTE, by=user):
                report.left.append(call.pk)
        elif call.status == Status.EN_ROUTE:
            team = call.team
            if call.latitude is None or team.latitude is None:
                arrived = call.status_changed_at <= now - timedelta(seconds=LEAVE_AFTER * 6)
            else:
                remaining = _km(team.latitude, team.longitude, call.latitude, call.longitude)
                arrived = remaining <= ARRIVED_KM
                if not arrived:
                    f = STEP_FRACTION if remaining * (1 - STEP_FRACTION) > ARRIVED_KM else 1.0
                    lat = team.latitude + (call.latitude - team.latitude) * f
                    lon = team.longitude + (call.longitude - team.longitude) * f
                    if attempt(f"team {team.pk} moves", team_state.team_report_location, team=team, latitude=lat,
                               longitude=lon, by=user):  # fmt: skip
                        report.moved.append(team.pk)
            if arrived and attempt(f"call {call.pk} on scene", assignments.call_advance, call=call,
                                   to=Status.ON_SCENE, by=user):  # fmt: skip
                report.arrived.append(call.pk)
        elif call.status in (Status.ON_SCENE, Status.TRANSPORTING) and call.status_changed_at <= now - timedelta(
            seconds=ON_SCENE_FOR
        ):
            disposition = rng.choice(DISPOSITIONS)
            if attempt(f"clear call {call.pk}", calls.call_clear, call=call, disposition=disposition, by=user,
                       note="Demo team cleared the call"):  # fmt: skip
                report.cleared.append(call.pk)

    # Phones on shift report where they are, as the real page does every RESPONDER_LOCATION_INTERVAL_SECONDS.
    stale = now - timedelta(seconds=POSITION_EVERY)
    for team in Team.objects.filter(status=TeamStatus.AVAILABLE, latitude__isnull=False).exclude(
        location_reported_at__gt=stale
    ):
        user = _member(team.pk)
        if user:
            attempt(f"team {team.pk} position", team_state.team_report_location, team=team,
                    latitude=team.latitude, longitude=team.longitude, by=user)  # fmt: skip

    if new_calls:
        call = _maybe_new_call(now, rng, report)
        if call is not None:
            report.new_calls.append(call.pk)
    return report


def _maybe_new_call(now: datetime, rng: random.Random, report: TickReport) -> Call | None:
    """A new call now and then, while the desk is not busy: rung and answered through the phone system's door."""
    if Call.objects.filter(status__in=OPEN_STATUSES).count() >= MAX_OPEN_CALLS:
        return None
    last = Call.objects.aggregate(last=Max("received_at"))["last"]
    if last is not None and last > now - timedelta(seconds=NEW_CALL_EVERY):
        return None
    if not Team.objects.filter(status=TeamStatus.AVAILABLE).exists():
        return None  # every team on shift is busy: a calm demo does not pile calls up
    # Not the same story twice at once: two identical open calls would look like a duplicate to the desk.
    open_natures = set(Call.objects.filter(status__in=OPEN_STATUSES).values_list("nature", flat=True))
    fresh = [c for c in DEMO_CALLS if c[0]["nature"] not in open_natures] or list(DEMO_CALLS)
    spec, screen = rng.choice(fresh)
    number = f"312-555-{rng.randint(200, 999):04d}"
    # The call's own times are the real clock's (`now` only paces the simulation).
    answered = timezone.now()
    rang = answered - timedelta(seconds=rng.randint(3, 18))
    try:
        return calls.call_intake(
            by=None, screen=dict(screen), source=rng.choice(("911", "988")), caller_name="Demo caller",
            callback_number=number, rang_at=rang, answered_at=answered, **spec,
        )  # fmt: skip
    except DomainError as exc:
        report.refused.append(f"new call: {exc.message}")
        return None
