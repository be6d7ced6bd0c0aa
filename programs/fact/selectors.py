"""Reads of FACT records. A caseload and a client's record name people, so every read is audited here, once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q, Sum
from django.http import Http404
from django.utils import timezone

from crisis import audit, permissions
from crisis.models import Person, User

from .models import Contact, Enrollment, Goal, GoalStatus, OnCallShift, OutcomeEvent, OutcomeKind

FACT_KIND = "fact"
BEFORE_DAYS = 365  # the intake counts cover the year before enrolment
DEFAULT_TARGET = 10  # clients per staff member, when the program sets none (FACT fidelity: about 1:10)


def _team_model():
    # The roster's Team, reached through the enrolment's foreign key (programs import no live operations).
    return Enrollment._meta.get_field("team").related_model


def fact_teams_for(user: User):
    """The FACT teams this user works: a supervisor every one, a responder their own (if it is a FACT team)."""
    if not permissions.may_list_caseload.test(user):
        raise PermissionDenied("Only a responder on a team or a supervisor may see a caseload.")
    teams = _team_model().objects.filter(program__kind=FACT_KIND).select_related("program")
    if not permissions.is_care_supervisor.test(user):
        teams = teams.filter(pk=permissions.active_team_id(user))
    return teams.order_by("name")


def person_to_enrol(person_id: int, *, by: User) -> Person | None:
    """The person an enrolment form is about: its heading names them, so opening it is a read of their record."""
    person = Person.objects.filter(pk=person_id).first()
    if person is not None:
        audit.record(actor=by, action="people.person.viewed", obj=person, via="fact.enrol")
    return person


def is_fact_member(user) -> bool:
    team_id = permissions.active_team_id(user)
    return team_id is not None and _team_model().objects.filter(pk=team_id, program__kind=FACT_KIND).exists()


def on_call_now(team_ids, now: datetime) -> dict[int, OnCallShift]:
    shifts = OnCallShift.objects.filter(team_id__in=team_ids, starts_at__lte=now, ends_at__gt=now).select_related(
        "member"
    )
    return {s.team_id: s for s in shifts}


def after_hours_on_call(call, team, *, now: datetime) -> frozenset[int] | None:
    """The on-call member alone, when `team` is the FACT team of the call's enrolled client and closed now.

    None otherwise (in hours every member's phone rings, and another program's team is not FACT's business)."""
    if not call.person_id or team.program.is_open_at(timezone.localtime(now).time()):
        return None
    if not Enrollment.objects.filter(person_id=call.person_id, team=team, discharged_on__isnull=True).exists():
        return None
    shift = on_call_now([team.pk], now).get(team.pk)
    return frozenset({shift.member_id}) if shift else None


@dataclass
class TeamCaseload:
    team: object
    clients: list[Enrollment]
    staff: int
    target: int
    on_call: OnCallShift | None
    rota: list[OnCallShift] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        return round(len(self.clients) / self.staff, 1) if self.staff else None

    @property
    def over_target(self) -> bool:
        return self.staff == 0 and bool(self.clients) or (self.ratio is not None and self.ratio > self.target)

    @property
    def capacity_left(self) -> int:
        return self.staff * self.target - len(self.clients)


def caseloads_for(user: User, *, now: datetime) -> list[TeamCaseload]:
    teams = list(fact_teams_for(user).annotate(staff=Count("members", filter=Q(members__active=True))))
    ids = [t.pk for t in teams]
    clients = (
        Enrollment.objects.filter(team_id__in=ids, discharged_on__isnull=True)
        .select_related("person")
        .annotate(
            last_contact=Max("contacts__at"),
            active_goals=Count("goals", filter=Q(goals__status=GoalStatus.ACTIVE), distinct=True),
        )
        .order_by("person__last_name", "person__first_name", "pk")
    )
    by_team: dict[int, list[Enrollment]] = {i: [] for i in ids}
    for e in clients:
        by_team[e.team_id].append(e)
    current = on_call_now(ids, now)
    rota: dict[int, list[OnCallShift]] = {i: [] for i in ids}
    upcoming = OnCallShift.objects.filter(team_id__in=ids, ends_at__gt=now, starts_at__lt=now + timedelta(days=7))
    for s in upcoming.select_related("member").order_by("starts_at"):
        rota[s.team_id].append(s)
    return [
        TeamCaseload(
            team=t,
            clients=by_team[t.pk],
            staff=t.staff,
            target=t.program.clients_per_staff or DEFAULT_TARGET,
            on_call=current.get(t.pk),
            rota=rota[t.pk],
        )
        for t in teams
    ]


def caseloads_viewed(*, by: User, caseloads: list[TeamCaseload]) -> None:
    audit.record(
        actor=by,
        action="fact.caseload.viewed",
        teams=[c.team.pk for c in caseloads],
        enrollments=[e.pk for c in caseloads for e in c.clients],
    )


def enrollment_for_work(*, pk: int, by: User) -> Enrollment:
    """One enrolment, for a user who may work it (404 when missing, 403 when not theirs). Not yet audited."""
    enrollment = Enrollment.objects.select_related("person", "team", "team__program").filter(pk=pk).first()
    if enrollment is None:
        raise Http404("No such enrolment.")
    permissions.require(permissions.may_work_enrollment, by, enrollment, "This client is on another team's caseload.")
    return enrollment


@dataclass(frozen=True)
class OutcomeRow:
    label: str
    before: int
    after: int
    source: str  # "recorded" or "calls"


@dataclass
class ClientRecord:
    enrollment: Enrollment
    goals: list[Goal]
    contacts: list[Contact]
    events: list[OutcomeEvent]
    outcomes: list[OutcomeRow]
    days_enrolled: int


def _calls_between(person, start: date, end: date) -> int:
    """Crisis calls about the person received from `start` to `end` (inclusive), local days."""
    tz = timezone.get_current_timezone()
    start_at = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    end_at = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    # person.calls is live operations' reverse accessor: counted here, never imported.
    return person.calls.filter(received_at__gte=start_at, received_at__lt=end_at).count()


def outcomes_for(enrollment: Enrollment, *, today: date) -> tuple[list[OutcomeRow], int]:
    end = enrollment.discharged_on or today
    after = dict.fromkeys(OutcomeKind.values, 0)
    arrests = 0
    for row in (
        OutcomeEvent.objects.filter(enrollment=enrollment)
        .values("kind")
        .annotate(days=Sum("days"), n=Count("id"))
        .order_by()
    ):
        after[row["kind"]] = row["days"]
        if row["kind"] == OutcomeKind.ARREST:
            arrests = row["n"]
    person = enrollment.person
    rows = [
        OutcomeRow("Arrests", enrollment.arrests_before, arrests, "recorded"),
        OutcomeRow("Days in jail", enrollment.jail_days_before, after[OutcomeKind.JAIL], "recorded"),
        OutcomeRow("Days in hospital", enrollment.hospital_days_before, after[OutcomeKind.HOSPITAL], "recorded"),
        OutcomeRow(
            "Crisis calls",
            _calls_between(
                person, enrollment.enrolled_on - timedelta(days=BEFORE_DAYS), enrollment.enrolled_on - timedelta(days=1)
            ),
            _calls_between(person, enrollment.enrolled_on, end),
            "calls",
        ),
    ]
    return rows, (end - enrollment.enrolled_on).days + 1


def client_record_view(*, enrollment: Enrollment, by: User) -> ClientRecord:
    """The client's FACT record for their team: goals, contacts, outcomes. One audit row per read."""
    outcomes, days = outcomes_for(enrollment, today=timezone.localdate())
    record = ClientRecord(
        enrollment=enrollment,
        goals=list(enrollment.goals.select_related("updated_by").order_by("status", "target_on", "pk")),
        contacts=list(enrollment.contacts.select_related("by").order_by("-at")[:50]),
        events=list(enrollment.outcome_events.order_by("-on", "-pk")),
        outcomes=outcomes,
        days_enrolled=days,
    )
    audit.record(actor=by, action="fact.client.viewed", obj=enrollment, person=enrollment.person_id)
    return record


@dataclass(frozen=True)
class CareBrief:
    enrollment: Enrollment
    crisis_plan: str
    goals: list[str]
    on_call: OnCallShift | None


def care_brief_for_call(call, *, by: User, now: datetime) -> CareBrief | None:
    """On a call about an enrolled client: the essentials for the client's team (plan, goals, who is on call).

    Not the chart: no contacts, no outcomes, no history. Shown only to whom `may_see_care_brief` allows; audited.
    """
    if not call.person_id:
        return None
    enrollment = (
        Enrollment.objects.select_related("person", "team")
        .filter(person_id=call.person_id, discharged_on__isnull=True)
        .first()
    )
    if enrollment is None or not permissions.may_see_care_brief.test(by, enrollment):
        return None
    goals = list(enrollment.goals.filter(status=GoalStatus.ACTIVE).order_by("pk").values_list("text", flat=True)[:5])
    brief = CareBrief(
        enrollment, enrollment.crisis_plan, goals, on_call_now([enrollment.team_id], now).get(enrollment.team_id)
    )
    audit.record(actor=by, action="fact.care_plan.viewed", obj=enrollment, person=enrollment.person_id, call=call.pk)
    return brief


def team_members(team):
    """The team's active members as users (who can carry the on-call phone)."""
    return User.objects.filter(membership__team=team, membership__active=True, is_active=True).order_by(
        "first_name", "last_name"
    )
