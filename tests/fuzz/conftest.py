"""A demo-like world for the fuzz tests: every role, two teams, calls in several states, a person."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.models import Person, User
from dispatch import services
from dispatch.models import Assignment, Call, Status
from programs.community_responders.models import Partner, Referral
from programs.community_responders.services import referral_create
from programs.crisis_stabilization.services import episode_open
from programs.diversion import services as diversions
from programs.escalations import escalations_raise
from programs.fact.services import enrollment_create, goal_add
from programs.homeless_outreach.services import sharing_consent_record
from programs.mobile_crisis.models import FollowUp
from programs.models import Escalation, Program
from responders import interns
from responders.models import Team
from tests.conftest import CALL_DEFAULTS, make_team, make_user
from tests.support.consults import consult_program, kit, on_call, request_consult  # noqa: F401 (fixtures)

ROLES = (
    "dispatcher",
    "supervisor",
    "clinician",
    "responder",
    "officer",
    "administrator",
    "police_liaison",
    "housing_navigator",
)


@dataclass
class World:
    users: dict[str, User]
    team_a: Team
    team_b: Team
    person: Person
    calls: dict[str, Call]
    offer: Assignment
    follow_up: FollowUp | None = None
    referral: Referral | None = None
    ids: dict[str, int] = field(default_factory=dict)
    consult: object = None  # an officer's consult (programs/le_consult), waiting for the on-call clinician
    intern_note: object = None  # a note in an intern's supervision log (responders/interns.py), supervised by sue
    diversion: object = None  # a 911 call transferred to the diversion clinicians, taken by cam
    enrollment: object = None  # the person, enrolled with a FACT team (programs/fact), with a goal
    episode: object = None  # the person's open crisis stabilization episode, owned by the supervisor's team member
    escalation: object = None  # team A's follow-up, stalled: escalated to team A (no owner), not yet acknowledged
    sharing_consent: object = None  # the person's consent to share with hana's agency (programs/homeless_outreach)


@pytest.fixture
def world(dana, sue, cam, oli, ada, rita, bo, lou, hana, team_a, team_b, person, new_call, request) -> World:
    # A field response team A went out to and closed: its follow-up is open (mobile crisis).
    visited = new_call(nature="Visited and closed", person=person)
    services.call_triage(call=visited, screen={}, by=dana)
    services.call_assign(call=visited, team=team_a, by=dana, reason="radio")
    services.call_advance(call=visited, to=Status.ON_SCENE, by=rita)
    services.call_close(call=visited, disposition="stabilized", by=rita)
    follow_up = FollowUp.objects.get(call=visited)
    received = new_call(nature="Received, untouched")
    triaged = new_call(nature="Triaged", person=person)
    services.call_triage(call=triaged, screen={}, by=dana)
    offered = new_call(nature="Offered to team A")
    services.call_triage(call=offered, screen={}, by=dana)
    offered.refresh_from_db()
    offer = Assignment.objects.filter(call=offered).first() or services.assignment_offer(call=offered, team=team_a)
    working = new_call(nature="Team B on it")
    services.call_triage(call=working, screen={}, by=dana)
    services.call_assign(call=working, team=team_b, by=dana, reason="closest")
    services.call_advance(call=working, to="en_route", by=bo)
    closed = new_call(nature="Closed")
    services.call_triage(call=closed, screen={}, by=dana)
    closed.refresh_from_db()
    services.call_resolve_by_phone(call=closed, by=dana, note="talked down")
    # Team B refers the person it is with to a partner (community responders).
    partner = Partner.objects.create(name="Northside Clinic", services="Outpatient psychiatry")
    working.refresh_from_db()
    referral = referral_create(call=working, by=bo, partner=partner, service="Intake")
    calls = {"received": received, "triaged": triaged, "offered": offered, "working": working, "closed": closed}
    users = {
        "dispatcher": dana,
        "supervisor": sue,
        "clinician": cam,
        "responder": rita,
        # Team B's responder: the one who may act on the call Team B is working.
        "responder_b": bo,
        "officer": oli,
        "administrator": ada,
        # Partner agencies' users (programs/homeless_outreach): the person consented to share with hana's agency.
        "police_liaison": lou,
        "housing_navigator": hana,
    }
    sharing_consent = sharing_consent_record(
        person=person,
        partner=hana.partner_agency.partner,
        by=rita,
        expires_at=timezone.now() + timedelta(days=90),
    )
    # The person is a FACT client (off shift, so no routing changes): the supervisor reaches their record.
    fact_team, _ = make_team(
        "FACT 1",
        Program.objects.create(name="FACT", kind="fact", tiers=["community"], clients_per_staff=10),
        members=[("fay", "licensed_clinician", ["en"], [])],
        status="off_shift",
    )
    enrollment = enrollment_create(
        person=person, team=fact_team, by=sue, serious_mental_illness=True, justice_involvement="probation"
    )
    goal_add(enrollment=enrollment, by=sue, text="Keeps probation appointments")
    stab_team, (cora,) = make_team(
        "STAB-1",
        Program.objects.create(name="Stabilization", kind="crisis_stabilization", tiers=[]),
        members=[("cora", "case_manager", ["en"], [])],
        status="off_shift",
    )
    episode = episode_open(
        person=person,
        team=stab_team,
        owner=cora,
        by=sue,
        goals="Stay home safely",
        planned_end_on=timezone.localdate() + timedelta(days=7),
    )
    escalations_raise(now=follow_up.due_at + timedelta(minutes=1))
    return World(
        users=users,
        team_a=team_a,
        team_b=team_b,
        person=person,
        calls=calls,
        offer=offer,
        follow_up=follow_up,
        referral=referral,
        enrollment=enrollment,
        episode=episode,
        escalation=Escalation.objects.get(key__startswith=f"mobile_crisis.followup:{follow_up.pk}:"),
        sharing_consent=sharing_consent,
        consult=request.getfixturevalue("request_consult")(),
        intern_note=_intern_note(sue),
        diversion=_diversion(dana, cam),
    )


def _diversion(desk, clinician):
    diversion, _ = diversions.diversion_transfer(
        by=desk, incident_id="CAD-FUZZ-1", address="1200 W Lake St", nature="Caller crying, alone"
    )
    return diversions.diversion_take(diversion=diversion, by=clinician)


def _intern_note(supervisor):
    intern = make_user("ivy", "intern")
    today = timezone.localdate()
    interns.intern_term_save(
        user=intern, university="UIC", supervisor=supervisor, starts_on=today, ends_on=today + timedelta(90), by=None
    )
    intern.refresh_from_db()
    return interns.supervision_note_add(by=intern, text="Shadowed a call")


__all__ = ["CALL_DEFAULTS", "ROLES", "World"]
