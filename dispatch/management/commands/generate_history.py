"""Generate a realistic, seeded call history for demos and the reports benchmark.

    manage.py generate_history --calls 100000 --days 365 --seed 1

Writes Call rows with their denormalised timestamps (received_at, triaged_at,
assigned_at, arrived_at, closed_at), which is what the reports read, plus
follow-ups, FACT enrollments and outreach contacts; it writes no CallEvent
timeline (the reports do not need it, and it would multiply the rows by six).
Calls whose timeline runs past now are left open at the step they reached.

Patterns: more calls in the afternoon and evening and on Fridays and
Saturdays; lognormal intervals by tier, priority and area; a few missing
timestamps (legacy imports without a triage time, teams that never pressed
"on scene"); cancellations; repeat people (a skewed draw from a pool).
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import datetime, time, timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from crisis.models import Person
from dispatch.models import Call, CallType, Disposition, Source, Status, Tier, address_key
from programs.fact.models import Enrollment
from programs.homeless_outreach.models import OutreachContact
from programs.mobile_crisis.models import FollowUp
from responders.models import Team, TeamMember

CENTER = (41.8781, -87.6298)
# Relative call volume by hour of day (0-23) and ISO weekday (Mon..Sun).
HOUR_WEIGHTS = [3, 2, 2, 1.5, 1, 1, 1.5, 2.5, 3.5, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 8, 8, 7.5, 7, 6, 5, 4]
WEEKDAY_WEIGHTS = [1.0, 0.95, 0.95, 1.0, 1.15, 1.2, 1.05]

TIERS = [(Tier.PHONE, 36), (Tier.COMMUNITY, 44), (Tier.CO_RESPONSE, 12), (Tier.LE_EMS, 8)]
PRIORITY_BY_TIER = {
    Tier.PHONE: [(3, 40), (4, 60)],
    Tier.COMMUNITY: [(1, 10), (2, 45), (3, 35), (4, 10)],
    Tier.CO_RESPONSE: [(1, 45), (2, 45), (3, 10)],
    Tier.LE_EMS: [(1, 80), (2, 20)],
}
SOURCES = [
    (Source.TRANSFER_911, 45),
    (Source.LINE_988, 30),
    (Source.LAW_ENFORCEMENT, 10),
    (Source.PARTNER, 7),
    (Source.SELF, 5),
    (Source.FOLLOW_UP, 3),
]
CALL_TYPES = [
    (CallType.MENTAL_HEALTH, 34),
    (CallType.SUICIDAL, 16),
    (CallType.WELFARE_CHECK, 14),
    (CallType.SUBSTANCE_USE, 12),
    (CallType.SOCIAL_DISTURBANCE, 8),
    (CallType.HOMELESSNESS, 8),
    (CallType.FAMILY_CONFLICT, 6),
    (CallType.OTHER, 2),
]
D = Disposition
FIELD_DISPOSITIONS = {
    Tier.COMMUNITY: [
        (D.STABILIZED, 45),
        (D.REFERRED, 25),
        (D.TRANSPORTED_VOLUNTARY, 8),
        (D.ED_TRANSPORT, 7),
        (D.INVOLUNTARY_HOLD, 5),
        (D.NO_CONTACT, 6),
        (D.HANDED_TO_LE_EMS, 3),
        (D.POLICE_ARREST, 1),
    ],
    Tier.CO_RESPONSE: [
        (D.STABILIZED, 30),
        (D.REFERRED, 20),
        (D.TRANSPORTED_VOLUNTARY, 8),
        (D.ED_TRANSPORT, 10),
        (D.INVOLUNTARY_HOLD, 12),
        (D.POLICE_ARREST, 8),
        (D.HANDED_TO_LE_EMS, 7),
        (D.NO_CONTACT, 5),
    ],
}
TRANSPORTS = {D.TRANSPORTED_VOLUNTARY, D.ED_TRANSPORT, D.INVOLUNTARY_HOLD}
# Median seconds from triage to a team assigned, by priority.
ASSIGN_MEDIAN = {1: 35, 2: 55, 3: 120, 4: 300}
STREETS = ["W Lake St", "N State St", "S Halsted St", "W Madison St", "N Clark St", "S Western Ave", "W 63rd St",
           "N Milwaukee Ave", "S Cottage Grove Ave", "W Division St", "N Broadway", "S Ashland Ave"]  # fmt: skip
FIRST = ["Marcus", "Rosa", "James", "Maria", "Dwayne", "Linh", "Aisha", "Tom", "Keisha", "Omar", "Grace", "Luis"]
LAST = ["Hill", "Alvarez", "Johnson", "Nguyen", "Brown", "Okafor", "Smith", "Garcia", "Lee", "Cohen", "Diaz", "Ward"]


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(median), sigma)


class Command(BaseCommand):
    help = "Generate a seeded, realistic call history (calls, follow-ups, enrollments) for demos and benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--calls", type=int, default=20_000)
        parser.add_argument("--days", type=int, default=365, help="Spread the calls over this many days up to now.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--people", type=int, default=None, help="Size of the pool of known people.")
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args, calls: int, days: int, seed: int, people: int | None, batch: int, **options):
        if calls < 0 or days < 1 or batch < 1:
            raise CommandError("--calls must be ≥ 0, --days and --batch ≥ 1.")
        if not Team.objects.exists():
            call_command("seed_demo", stdout=self.stdout)
        rng = random.Random(seed)
        now = timezone.now()
        teams = list(Team.objects.select_related("program").order_by("pk"))
        field_teams = {
            tier: [t for t in teams if tier in (t.program.tiers or [])] for tier in (Tier.COMMUNITY, Tier.CO_RESPONSE)
        }
        field_teams = {k: v or teams for k, v in field_teams.items()}
        programs = {t.program_id: t.program for t in teams}
        from programs.models import Program

        phone_programs = [p for p in Program.objects.order_by("pk") if "phone" in (p.tiers or [])]

        pool_size = people if people is not None else max(1, calls // 6)
        with transaction.atomic():
            pool = Person.objects.bulk_create(
                [
                    Person(
                        first_name=rng.choice(FIRST),
                        last_name=rng.choice(LAST),
                        experiencing_homelessness=rng.random() < 0.2,
                        created_at=now - timedelta(days=days + 30),
                    )
                    for _ in range(pool_size)
                ],
                batch_size=batch,
            )
            slots, cum = self._slots(now, days)
            made = 0
            for start in range(0, calls, batch):
                n = min(batch, calls - start)
                chosen = rng.choices(slots, cum_weights=cum, k=n)
                rows = [
                    self._call(rng, hour_start, now, pool, field_teams, programs, phone_programs)
                    for hour_start in chosen
                ]
                created = Call.objects.bulk_create(rows, batch_size=batch)
                self._follow_ups(rng, created, now, batch)
                self._outreach(created, teams, batch)
                made += len(created)
            self._enrollments(rng, teams, pool, now, batch)
        # These calls were written past the services, which tell the reports' kept days what changed.
        call_command("report_days", "--forget", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Generated {made:,} calls and {pool_size:,} people (seed {seed})."))

    def _slots(self, now, days):
        tz = timezone.get_current_timezone()
        today = timezone.localdate(now)
        slots, cum, total = [], [], 0.0
        for d in range(days):
            day = today - timedelta(days=d)
            for h in range(24):
                start = datetime.combine(day, time(h), tzinfo=tz)
                if start > now:
                    continue
                total += HOUR_WEIGHTS[h] * WEEKDAY_WEIGHTS[day.weekday()]
                slots.append(start)
                cum.append(total)
        return slots, cum

    def _call(self, rng, hour_start, now, pool, field_teams, programs, phone_programs) -> Call:
        received = hour_start + timedelta(seconds=rng.uniform(0, 3600))
        if received > now:
            received = now - timedelta(seconds=rng.uniform(0, 600))
        tier = _weighted(rng, TIERS)
        priority = _weighted(rng, PRIORITY_BY_TIER[tier])
        area = "rural" if rng.random() < 0.18 else "urban"
        call_type = _weighted(rng, CALL_TYPES)
        person = pool[int(len(pool) * rng.random() ** 2.2)] if pool and rng.random() < 0.6 else None
        street = rng.choice(STREETS)
        address = f"{rng.randint(100, 9999)} {street}"
        team = program = None
        triaged = received + timedelta(seconds=_lognormal(rng, 9, 0.8))
        assigned = arrived = None
        cancelled = False
        disposition = ""
        if tier in field_teams:
            team = rng.choice(field_teams[tier])
            program = programs[team.program_id]
            assigned = triaged + timedelta(seconds=_lognormal(rng, ASSIGN_MEDIAN[priority], 0.9))
            # Teams differ (where they are based, how they work): up to ±25% travel time.
            pace = 0.75 + 0.5 * ((team.pk * 7919) % 100) / 100
            travel = _lognormal(rng, (45 * 60 if area == "rural" else 20 * 60) * pace, 0.5)
            if rng.random() < 0.04:
                cancelled = True
                closed = assigned + timedelta(seconds=travel * rng.random())
            else:
                arrived = assigned + timedelta(seconds=travel)
                disposition = _weighted(rng, FIELD_DISPOSITIONS[tier])
                closed = arrived + timedelta(seconds=_lognormal(rng, 50 * 60, 0.5))
                if disposition in TRANSPORTS:
                    closed += timedelta(seconds=_lognormal(rng, 30 * 60, 0.4))
        elif tier == Tier.PHONE:
            program = rng.choice(phone_programs) if phone_programs else None
            disposition = D.RESOLVED_BY_PHONE if rng.random() < 0.88 else D.REFERRED
            closed = triaged + timedelta(seconds=_lognormal(rng, 14 * 60, 0.6))
        else:
            disposition = D.HANDED_TO_LE_EMS
            closed = triaged + timedelta(seconds=_lognormal(rng, 4 * 60, 0.5))

        # Where the call has got to now.
        status = Status.CANCELLED if cancelled else Status.CLOSED
        if closed > now:
            closed, disposition = None, ""
            if arrived and arrived <= now:
                status = Status.ON_SCENE
            elif assigned and assigned <= now:
                arrived, status = None, Status.EN_ROUTE
            elif triaged <= now:
                assigned, arrived = None, None
                status = Status.AWAITING_TEAM if team else Status.TRIAGED
            else:
                triaged = assigned = arrived = None
                status, tier, priority, program = Status.RECEIVED, "", None, None
        # Missing timestamps, as in real data.
        if closed and rng.random() < 0.02:
            triaged = None  # imported from the old CAD without a triage time
        if closed and arrived and rng.random() < 0.03:
            arrived = None  # the team never pressed "on scene"
        last = max(t for t in (received, triaged, assigned, arrived, closed) if t is not None)
        return Call(
            received_at=received,
            source=_weighted(rng, SOURCES),
            caller_name="",
            callback_number="",
            person=person,
            address=address,
            address_key=address_key(address),
            latitude=CENTER[0] + rng.uniform(-0.15, 0.15),
            longitude=CENTER[1] + rng.uniform(-0.15, 0.15),
            area_type=area,
            call_type=call_type,
            nature=CallType(call_type).label,
            status=status,
            status_changed_at=last,
            priority=priority,
            tier=tier,
            triaged_at=triaged,
            awaiting_since=triaged if team else None,
            assigned_at=assigned if team else None,
            arrived_at=arrived,
            closed_at=closed,
            disposition=disposition,
            program=program,
            team=team if (assigned and status != Status.AWAITING_TEAM) else None,
        )

    def _follow_ups(self, rng, calls, now, batch):
        rows = []
        for call in calls:
            if call.arrived_at is None or call.status != Status.CLOSED or rng.random() > 0.85:
                continue
            done = call.arrived_at + timedelta(seconds=_lognormal(rng, 30 * 3600, 0.6))
            if rng.random() < 0.1 or done > now:
                done = None
            rows.append(FollowUp(call=call, due_at=call.arrived_at + timedelta(hours=72), completed_at=done))
        FollowUp.objects.bulk_create(rows, batch_size=batch)

    def _outreach(self, calls, teams, batch):
        outreach_teams = {t.pk for t in teams if t.program.has_housing_partners}
        rows = [
            OutreachContact(person_id=c.person_id, team_id=c.team_id, call=c, at=c.arrived_at)
            for c in calls
            if c.team_id in outreach_teams and c.person_id and c.arrived_at
        ]
        OutreachContact.objects.bulk_create(rows, batch_size=batch)

    def _enrollments(self, rng, teams, pool, now, batch):
        enrolled = set(Enrollment.objects.filter(discharged_on__isnull=True).values_list("person_id", flat=True))
        free = (p for p in pool if p.pk not in enrolled)
        rows = []
        for team in teams:
            ratio = team.program.clients_per_staff
            if not ratio:
                continue
            staff = TeamMember.objects.filter(team=team, active=True).count()
            want = int(ratio * max(staff, 1) * rng.uniform(0.8, 1.2))
            have = Enrollment.objects.filter(team=team, discharged_on__isnull=True).count()
            for person in itertools.islice(free, max(0, want - have)):
                rows.append(
                    Enrollment(
                        person=person,
                        team=team,
                        enrolled_on=timezone.localdate(now) - timedelta(days=rng.randint(1, 700)),
                    )
                )
        Enrollment.objects.bulk_create(rows, batch_size=batch)
