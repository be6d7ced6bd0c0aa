"""Idempotent demo data: programs, teams with members and positions, a user of every role, a few calls."""

import os
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from crisis.errors import DomainError
from crisis.geo.services import SAMPLE_CSV, addresses_load
from crisis.models import Alias, Person, User
from crisis.roles import ROLE_ORDER, sync_groups
from dispatch import services
from dispatch.models import Call, Status
from programs import escalations
from programs.community_responders import services as community
from programs.community_responders.models import CallOutcome, Partner, Referral
from programs.crisis_stabilization import services as stabilization
from programs.crisis_stabilization.models import Episode
from programs.fact import services as fact
from programs.fact.models import Contact as FactContact
from programs.fact.models import Enrollment
from programs.fact.models import OnCallShift as FactShift
from programs.homeless_outreach import services as outreach
from programs.homeless_outreach.living import LivingSituation
from programs.homeless_outreach.models import OutreachContact, PartnerAgencyUser, SharingConsent
from programs.le_consult.models import KIND, OnCallShift
from programs.models import Program
from responders import interns
from responders.models import InternHours, InternTerm, Team, TeamMember, TeamStatus

CENTER = (41.8781, -87.6298)
ALL_FIELD = ["community", "co_response"]

PROGRAMS = [
    dict(name="Mobile Crisis", kind="mobile_crisis", tiers=["community"], radius_km=40),
    dict(
        name="Community Responders",
        kind="community_responder",
        tiers=["community"],
        radius_km=25,
        call_types=["mental_health", "welfare_check", "substance_use", "social_disturbance", "homelessness", "other"],
    ),
    dict(name="Co-Response Unit", kind="mobile_crisis", tiers=ALL_FIELD, pairs_with_law_enforcement=True, radius_km=40),
    # Office hours 08-18; after hours the rota's on-call member answers the team's own clients (FACT routing).
    dict(
        name="FACT North",
        kind="fact",
        tiers=ALL_FIELD,
        radius_km=60,
        clients_per_staff=10,
        open_24_7=False,
        opens_at="08:00",
        closes_at="18:00",
    ),
    dict(
        name="Homeless Outreach",
        kind="homeless_outreach",
        tiers=["community"],
        has_housing_partners=True,
        radius_km=30,
        open_24_7=False,
        opens_at="07:00",
        closes_at="23:00",
    ),
    dict(name="Crisis Stabilization", kind="crisis_stabilization", tiers=[], radius_km=40),
    dict(name="911 Dispatch Diversion", kind="dispatch_diversion", tiers=["phone"]),
    dict(name="Law-Enforcement Remote Consult", kind="le_remote_consult", tiers=["phone"]),
    dict(name="Officer Telehealth", kind="telehealth", tiers=["phone"]),
    dict(name="Intern Support", kind="intern_support", tiers=[]),
]

# name, program, status, offset (lat, lon), members: (username, first, last, credential, languages, specialties)
TEAMS = [
    (
        "MCT-1",
        "Mobile Crisis",
        TeamStatus.AVAILABLE,
        (0.01, 0.01),
        [
            ("mct1_clin", "Ana", "Reyes", "licensed_clinician", ["en", "es"], ["youth", "female_responder"]),
            ("mct1_peer", "Sam", "Okafor", "peer_specialist", ["en"], ["substance_use"]),
        ],
    ),
    (
        "MCT-2",
        "Mobile Crisis",
        TeamStatus.AVAILABLE,
        (-0.04, -0.03),
        [
            ("mct2_clin", "Lee", "Park", "licensed_clinician", ["en", "ko"], []),
            ("mct2_emt", "Jo", "Martin", "emt", ["en"], []),
        ],
    ),
    (
        "MCT-3",
        "Mobile Crisis",
        TeamStatus.AVAILABLE,
        (0.06, -0.05),
        [
            ("mct3_clin", "Ruth", "Cohen", "licensed_clinician", ["en"], ["veterans"]),
            ("mct3_intern", "Kai", "Nguyen", "intern", ["en", "vi"], []),
        ],
    ),
    (
        "CR-A",
        "Community Responders",
        TeamStatus.AVAILABLE,
        (0.02, -0.02),
        [
            ("cra_emt", "Maya", "Brooks", "emt", ["en"], ["substance_use"]),
            ("cra_peer", "Dev", "Shah", "peer_specialist", ["en"], []),
        ],
    ),
    (
        "CR-B",
        "Community Responders",
        TeamStatus.OFF_SHIFT,
        (-0.02, 0.03),
        [
            ("crb_nurse", "Ines", "Silva", "nurse", ["en", "pt", "es"], []),
            ("crb_cm", "Tom", "Wright", "case_manager", ["en"], []),
        ],
    ),
    (
        "CORE-1",
        "Co-Response Unit",
        TeamStatus.AVAILABLE,
        (0.0, 0.05),
        [
            ("core_clin", "Nia", "Adams", "licensed_clinician", ["en"], []),
            ("core_cm", "Raj", "Iyer", "case_manager", ["en", "hi"], []),
        ],
    ),
    (
        "FACT-N",
        "FACT North",
        TeamStatus.AVAILABLE,
        (0.09, 0.0),
        [
            ("fact_clin", "Omar", "Haddad", "licensed_clinician", ["en", "ar"], []),
            ("fact_nurse", "Beth", "Lund", "nurse", ["en"], []),
            ("fact_cm", "Cy", "Moreau", "case_manager", ["en", "fr"], []),
        ],
    ),
    (
        "STAB-1",
        "Crisis Stabilization",
        TeamStatus.OFF_SHIFT,
        (-0.03, 0.02),
        [
            ("stab_cm", "Nia", "Brooks", "case_manager", ["en"], []),
            ("stab_peer", "Leo", "Park", "peer_specialist", ["en", "es"], []),
        ],
    ),
    (
        "OUT-1",
        "Homeless Outreach",
        TeamStatus.AVAILABLE,
        (-0.01, -0.06),
        [
            ("out_cm", "Zoe", "Kim", "case_manager", ["en"], []),
            ("out_peer", "Ray", "Diaz", "peer_specialist", ["en", "es"], ["substance_use"]),
        ],
    ),
]

STAFF = [
    ("dispatcher", "Dana", "Dispatch", "dispatcher"),
    ("clinician", "Cam", "Clinician", "clinician"),
    ("supervisor", "Sue", "Supervisor", "supervisor"),
    ("officer", "Oli", "Officer", "officer"),
    ("admin", "Ada", "Admin", "administrator"),
    ("privacy", "Pia", "Privacy", "privacy_officer"),
]

# Partner agencies' users (programs/homeless_outreach): username, first, last, role, agency in the partner directory.
PARTNER_USERS = [
    ("liaison", "Lou", "Liaison", "police_liaison", "Police Homeless Liaison Unit", "Police district 1 outreach"),
    ("navigator", "Hana", "Navigator", "housing_navigator", "Lakeside Supportive Housing", "Supportive housing"),
]

PASSWORD = os.environ.get("DEMO_PASSWORD", "crisis-demo-2026")


class Command(BaseCommand):
    help = "Load idempotent demo data (programs, teams, users of every role, a few calls)."

    @transaction.atomic
    def handle(self, *args, **options):
        sync_groups()
        now = timezone.now()
        programs = {}
        for spec in PROGRAMS:
            spec = dict(spec)
            name = spec.pop("name")
            spec.setdefault("center_latitude", CENTER[0])
            spec.setdefault("center_longitude", CENTER[1])
            programs[name], _ = Program.objects.update_or_create(name=name, defaults=spec)

        for username, first, last, role in STAFF:
            self._user(username, first, last, role, staff=(role == "administrator"))

        for name, program, status, (dlat, dlon), members in TEAMS:
            team, created = Team.objects.get_or_create(
                name=name,
                defaults=dict(
                    program=programs[program],
                    status=status,
                    latitude=CENTER[0] + dlat,
                    longitude=CENTER[1] + dlon,
                    location_reported_at=now,
                ),
            )
            if not created and team.status in (TeamStatus.AVAILABLE, TeamStatus.OFF_SHIFT):
                # Positions stay fresh each time the demo starts.
                Team.objects.filter(pk=team.pk).update(location_reported_at=now)
            supervisor = None
            for username, first, last, credential, langs, specs in members:
                user = self._user(username, first, last, "responder")
                TeamMember.objects.update_or_create(
                    user=user,
                    defaults=dict(
                        team=team,
                        credential=credential,
                        languages=langs,
                        specialties=specs,
                        supervisor=supervisor if credential == "intern" else None,
                    ),
                )
                if credential == "licensed_clinician":
                    supervisor = user

        if not Person.objects.exists():
            self._people_and_calls(now)
        self._consult_rota(now)
        self._fact_caseload(now)
        self._stabilization_episodes(now)
        # Before the outreach contacts: Rosa's housing referral is sent only with her consent to share in force.
        self._partner_agencies(now)
        self._people_search_and_outreach(now)
        self._community_outcomes(now)
        # The embedded geocoder's sample: a few hundred addresses around the demo's calls and teams (idempotent).
        with SAMPLE_CSV.open(encoding="utf-8", newline="") as lines:
            loaded = addresses_load(lines=lines)
        self.stdout.write(f"  addresses: {loaded.loaded} loaded, {loaded.skipped} already there")
        self._interns(now)
        self._care_escalations(now)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Demo logins (password for all: {PASSWORD}):")
        for role in ROLE_ORDER:
            names = list(User.objects.filter(groups__name=role).order_by("username").values_list("username", flat=True))
            shown = ", ".join(names[:4]) + (" …" if len(names) > 4 else "")
            self.stdout.write(f"  {role:<14} {shown}")

    def _interns(self, now):
        """Interns for the turnover view: Kai on a mobile crisis team (his supervisor on it), Ivy ending within
        30 days with hours short, Leo who left early; hours logged, some signed off."""
        if InternTerm.objects.exists():
            return
        today = timezone.localdate(now)
        boss = User.objects.get(username="supervisor")
        kai = TeamMember.objects.filter(credential="intern").select_related("user", "supervisor").first()
        plans = []
        if kai is not None and kai.supervisor is not None:
            plans.append((kai.user, kai.supervisor, "UIC Jane Addams College of Social Work", 70, 140, 160))
        ivy = self._user("intern_ivy", "Ivy", "Park", "intern")
        plans.append((ivy, boss, "UIC Jane Addams College of Social Work", 95, 20, 120))
        leo = self._user("intern_leo", "Leo", "Brandt", "intern")
        plans.append((leo, boss, "Loyola School of Social Work", 40, 90, 60))
        for user, supervisor, university, since, until, required in plans:
            term = interns.intern_term_save(
                user=user, university=university, supervisor=supervisor, starts_on=today - timedelta(days=since),
                ends_on=today + timedelta(days=until), by=supervisor, required_hours=required,
            )  # fmt: skip
            for back in range(1, min(since, 30), 3):
                entry = interns.intern_hours_log(
                    by=User.objects.get(pk=user.pk),
                    on=today - timedelta(days=back),
                    hours=6,
                    activity="Shift with the team",
                )
                if back > 7:  # the last week still waits for the supervisor
                    interns.intern_hours_sign(entry=InternHours.objects.get(pk=entry.pk), by=supervisor)
            if user.pk == leo.pk:
                interns.intern_term_end_early(term=term, by=boss, reason="Moved to a hospital placement")

    def _user(self, username, first, last, role, staff=False):
        # No superuser: the administrator may do exactly what crisis/roles.py grants the role (the admin site
        # shows only that), and an older demo database loses the flag too.
        user, created = User.objects.get_or_create(
            username=username, defaults=dict(first_name=first, last_name=last, is_staff=staff)
        )
        if created:
            user.set_password(PASSWORD)
        user.is_superuser = False
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        return user

    def _people_and_calls(self, now):
        dispatcher = User.objects.get(username="dispatcher")
        marcus = Person.objects.create(
            first_name="Marcus",
            last_name="Hill",
            preferred_language="en",
            history_of_violence=True,
            mental_health_history="Schizoaffective disorder; FACT client since 2025.",
        )
        fact.enrollment_create(
            person=marcus,
            team=Team.objects.get(name="FACT-N"),
            by=User.objects.get(username="supervisor"),
            serious_mental_illness=True,
            diagnosis="Schizoaffective disorder",
            justice_involvement="probation",
            eligibility_note="Mental health court referral; probation until 2027.",
            arrests_before=4,
            jail_days_before=63,
            hospital_days_before=21,
            crisis_plan="Speak slowly, one person talking. Avoid uniforms if possible. "
            "Sister Ana (312-555-0111) calms him. Takes olanzapine at night.",
            enrolled_on=timezone.localdate() - timedelta(days=120),
        )
        rosa = Person.objects.create(
            first_name="Rosa", last_name="Alvarez", preferred_language="es", experiencing_homelessness=True
        )
        earlier = services.call_create(
            by=dispatcher,
            source="911",
            caller_name="Neighbor",
            callback_number="312-555-0101",
            person=marcus,
            address="1200 W Lake St",
            latitude=41.8857,
            longitude=-87.6580,
            location_type="residence",
            call_type="mental_health",
            nature="Shouting, paranoid, refusing meds",
        )
        services.call_triage(call=earlier, screen={"violence": True}, by=dispatcher)
        services.call_cancel(call=earlier, by=dispatcher, reason="Demo history: caller called back, resolved")
        for spec, screen in [
            (
                dict(
                    source="988",
                    caller_name="Self",
                    callback_number="773-555-0199",
                    person_description="Man, 40s",
                    address="233 S Wacker Dr",
                    latitude=41.8789,
                    longitude=-87.6359,
                    location_type="business",
                    call_type="suicidal",
                    nature="Suicidal thoughts, on a balcony",
                ),
                {"si_thoughts": True, "si_method": True},
            ),
            (
                dict(
                    source="911",
                    caller_name="Store clerk",
                    callback_number="312-555-0150",
                    person_description="Woman, 30s, intoxicated, outside store",
                    address="100 N State St",
                    latitude=41.8830,
                    longitude=-87.6278,
                    location_type="street",
                    call_type="substance_use",
                    nature="Intoxicated person, disoriented",
                ),
                None,
            ),
            (
                # A known person: the call takes her language (Spanish) from her record; the wider screen.
                dict(
                    source="911",
                    caller_name="Her brother",
                    callback_number="312-555-0163",
                    person=rosa,
                    address="1500 W Madison St",
                    latitude=41.8817,
                    longitude=-87.6645,
                    location_type="encampment",
                    call_type="mental_health",
                    nature="Hearing voices telling her to leave, not eating",
                ),
                {"psychosis": True, "imminent_danger": False, "age": 52, "caller_relation": "family",
                 "person_reachable": True},
            ),
            (
                # No team speaks Somali: the call goes with an interpreter line rather than wait.
                dict(
                    source="988",
                    caller_name="Daughter",
                    callback_number="612-555-0177",
                    person_description="Older man, speaks Somali only",
                    address="2200 W North Ave",
                    latitude=41.9104,
                    longitude=-87.6820,
                    location_type="residence",
                    call_type="welfare_check",
                    nature="Father confused and agitated since morning",
                    language="so",
                ),
                {"intoxication": False, "medical_need": True, "caller_relation": "family", "person_reachable": False},
            ),
        ]:  # fmt: skip
            # As the phone system would report them (dispatch/telephony.py): the board's answer figure is real.
            rang = now - timedelta(seconds=8 if spec["source"] == "988" else 21)
            call = services.call_create(by=dispatcher, rang_at=rang, answered_at=now, **spec)
            if screen:
                services.call_triage(call=call, screen=screen, by=dispatcher)
        self.stdout.write(f"  {Call.objects.count()} demo calls")

    def _fact_caseload(self, now):
        """FACT-N's caseload: clients with goals, contacts and outcomes, and who carries the phone tonight."""
        team = Team.objects.get(name="FACT-N")
        boss = User.objects.get(username="supervisor")
        clin, nurse, cm = (User.objects.get(username=u) for u in ("fact_clin", "fact_nurse", "fact_cm"))
        for user, phone in ((clin, "312-555-0171"), (nurse, "312-555-0172"), (cm, "312-555-0173")):
            if not user.phone:
                User.objects.filter(pk=user.pk).update(phone=phone)
        if not FactShift.objects.filter(team=team, ends_at__gt=now).exists():
            start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
            for i, member in enumerate([clin, nurse, cm, clin, nurse, cm, clin]):
                fact.on_call_add(
                    team=team,
                    member=member,
                    starts_at=start + timedelta(hours=12 * i),
                    ends_at=start + timedelta(hours=12 * (i + 1)),
                    by=boss,
                )
        if FactContact.objects.exists():
            return
        today = timezone.localdate()
        clients = [
            ("Darnell", "Price", "parole", "Bipolar I disorder", (2, 30, 14), 200),
            ("Lena", "Kowalski", "jail_release", "Schizophrenia", (3, 90, 40), 45),
            ("Tomás", "Ibarra", "court_referral", "Schizophrenia", (1, 12, 30), 300),
            ("Jo", "Whitfield", "pretrial", "Major depression with psychosis", (2, 20, 8), 10),
        ]
        for first, last, involvement, diagnosis, (arrests, jail, hospital), days_ago in clients:
            person = Person.objects.create(first_name=first, last_name=last)
            fact.enrollment_create(
                person=person,
                team=team,
                by=boss,
                serious_mental_illness=True,
                diagnosis=diagnosis,
                justice_involvement=involvement,
                arrests_before=arrests,
                jail_days_before=jail,
                hospital_days_before=hospital,
                enrolled_on=today - timedelta(days=days_ago),
            )
        for e in Enrollment.objects.filter(team=team, discharged_on__isnull=True).select_related("person"):
            goals = [
                fact.goal_add(enrollment=e, by=clin, text="Keeps every probation or court appointment"),
                fact.goal_add(enrollment=e, by=clin, text="Takes medication as prescribed", target_on=None),
                fact.goal_add(enrollment=e, by=cm, text="Moves into stable housing"),
            ]
            if e.enrolled_on < today - timedelta(days=60):
                fact.goal_set_status(goal=goals[1], by=clin, status="met")
            fact.contact_record(
                enrollment=e, by=cm, method="visit", note="Home visit, meds checked", at=now - timedelta(days=1)
            )
            fact.contact_record(enrollment=e, by=nurse, method="phone", reached=False, at=now - timedelta(hours=5))
        marcus = Enrollment.objects.get(person__first_name="Marcus", discharged_on__isnull=True)
        fact.outcome_record(enrollment=marcus, by=clin, kind="hospital", on=today - timedelta(days=40), days=3)
        # A discharged client, so the person page and the caseload report show a closed enrolment too.
        done = fact.enrollment_create(
            person=Person.objects.create(first_name="Will", last_name="Brandt"),
            team=team,
            by=boss,
            serious_mental_illness=True,
            justice_involvement="probation",
            enrolled_on=today - timedelta(days=400),
        )
        fact.enrollment_discharge(enrollment=done, by=boss, reason="stepped_down", note="Stable for a year")

    def _people_search_and_outreach(self, now):
        """Find a person: Marcus's date of birth, phone and street name, and a possible duplicate of him typed at
        intake; the by-name list: Rosa with contacts and a housing referral, Dale never contacted yet."""
        if Alias.objects.exists():
            return
        marcus = Person.objects.filter(first_name="Marcus", last_name="Hill").first()
        if marcus is not None:
            marcus.date_of_birth = timezone.localdate().replace(year=1984, month=3, day=14)
            marcus.phone = "312-555-0147"
            marcus.save(update_fields=["date_of_birth", "phone"])
            Alias.objects.create(person=marcus, name="Marky")
            Person.objects.create(first_name="Marcus", last_name="Hil", date_of_birth=marcus.date_of_birth)
        Person.objects.get_or_create(
            first_name="Dale", last_name="Simmons", defaults={"experiencing_homelessness": True}
        )
        rosa = Person.objects.filter(first_name="Rosa", last_name="Alvarez").first()
        team = Team.objects.filter(name="OUT-1").first()
        worker = User.objects.filter(membership__team=team, membership__active=True).first() if team else None
        if rosa is None or worker is None or OutreachContact.objects.filter(person=rosa).exists():
            return
        first = outreach.outreach_contact_record(
            person=rosa,
            team=team,
            by=worker,
            living_situation=LivingSituation.PLACE_NOT_MEANT,
            note="Under the bridge",
            place="street",
            area="Lower Wacker",
            exact_location="Under the Lake St bridge, east side",
            offered=["food", "shelter_bed"],
            accepted=["food"],
        )
        OutreachContact.objects.filter(pk=first.pk).update(at=now - timedelta(days=4))
        latest = outreach.outreach_contact_record(
            person=rosa,
            team=team,
            by=worker,
            outcome="housing",
            living_situation=LivingSituation.EMERGENCY_SHELTER,
            housing_partner="Lakeside Supportive Housing",
            housing_referral_status="sent",
            note="Bed at Pacific Garden; housing application sent",
            place="shelter",
            area="West Loop",
            offered=["shelter_bed", "housing"],
            accepted=["shelter_bed", "housing"],
        )
        OutreachContact.objects.filter(pk=latest.pk).update(at=now - timedelta(hours=20))

    def _partner_agencies(self, now):
        """A partner-agency user per role; Rosa consented to share with the housing navigator's agency (until 90
        days from now), Dale with nobody: the liaison sees both as labels, the navigator sees Rosa named."""
        partners = {}
        for username, first, last, role, agency, offers in PARTNER_USERS:
            partner, _ = Partner.objects.get_or_create(name=agency, defaults={"services": offers})
            user = self._user(username, first, last, role)
            PartnerAgencyUser.objects.get_or_create(user=user, defaults={"partner": partner})
            partners[role] = partner
        rosa = Person.objects.filter(first_name="Rosa", last_name="Alvarez").first()
        worker = User.objects.filter(membership__team__name="OUT-1", membership__active=True).first()
        if rosa is None or worker is None or SharingConsent.objects.filter(person=rosa).exists():
            return
        outreach.sharing_consent_record(
            person=rosa,
            partner=partners["housing_navigator"],
            by=worker,
            expires_at=now + timedelta(days=90),
            document="Signed release, OUT-1 binder",
        )

    def _community_outcomes(self, now):
        """Wellness checks and disturbances the community responders cleared on the phone, each with what happened
        for the person (a referral with some): the program outcomes report's community and referral tables."""
        if CallOutcome.objects.exists():
            return
        team = Team.objects.filter(name="CR-A", status=TeamStatus.AVAILABLE).first()
        if team is None:
            self.stdout.write("  community outcomes: CR-A is not available now, none added")
            return
        dispatcher = User.objects.get(username="dispatcher")
        responder = User.objects.get(username="cra_peer")
        pantry, _ = Partner.objects.get_or_create(
            name="Eastside Food Pantry", defaults={"services": "Food, benefits help", "hours": "Daily 9-17"}
        )
        clinic, _ = Partner.objects.get_or_create(
            name="Northside Clinic", defaults={"services": "Outpatient psychiatry", "phone": "312-555-0150"}
        )
        # (call type, nature, address, disposition, outcome, referral: (partner, what for) or None)
        cleared = [
            ("welfare_check", "Neighbour not seen for two days", "1450 W Adams St", "referred", "found_referred",
             (pantry, "Groceries and SNAP application")),
            ("welfare_check", "Elderly man, daughter cannot reach him", "640 N Ashland Ave", "stabilized", "found_safe",
             None),
            ("welfare_check", "Woman sleeping in a doorway in the cold", "300 S Halsted St", "no_contact", "not_found",
             None),
            ("social_disturbance", "Man shouting at passers-by outside the library", "400 S State St", "stabilized",
             "deescalated", (clinic, "Psychiatry intake")),
            ("social_disturbance", "Argument at the bus shelter", "900 W Jackson Blvd", "no_contact", "moved_on",
             None),
        ]  # fmt: skip
        for i, (call_type, nature, address, disposition, outcome, referral) in enumerate(cleared):
            answers = {"outcome": outcome}
            if referral is not None:
                answers |= {"referral_partner": str(referral[0].pk), "referral_service": referral[1]}
            try:
                # Each call on its own savepoint: one the live system got to first (CR-A busy) is left out, not
                # the whole demo.
                with transaction.atomic():
                    call = services.call_create(
                        by=dispatcher, source="911", caller_name="Neighbor", callback_number=f"312-555-02{i:02d}",
                        address=address, latitude=CENTER[0] + 0.004 * (i - 2), longitude=CENTER[1] - 0.01,
                        location_type="street", call_type=call_type, nature=nature,
                    )  # fmt: skip
                    services.call_triage(call=call, screen={"phone_engaged": True}, by=dispatcher)
                    services.call_assign(call=call, team=team, by=dispatcher, reason="Demo history", confirm_gaps=True)
                    services.call_advance(call=Call.objects.get(pk=call.pk), to=Status.ON_SCENE, by=responder)
                    services.call_clear(
                        call=Call.objects.get(pk=call.pk), disposition=disposition, by=responder, answers=answers
                    )
            except DomainError as exc:
                self.stdout.write(f"  community outcomes: {nature!r} left out ({exc})")
        # The pantry's loop closed (the person went); the clinic's is still open, on the team's caseload.
        for referral in Referral.objects.filter(partner=pantry, status="sent"):
            for status in ("accepted", "appointment", "attended"):
                referral = community.referral_set_status(referral=referral, status=status, by=responder)
        self.stdout.write(f"  {CallOutcome.objects.count()} community responder outcomes")

    def _stabilization_episodes(self, now):
        """STAB-1's caseload: one episode due soon, one overdue (the red clock), one closed stable in the community."""
        if Episode.objects.exists():
            return
        team = Team.objects.get(name="STAB-1")
        nia, leo = User.objects.get(username="stab_cm"), User.objects.get(username="stab_peer")
        today = timezone.localdate()
        rosa = Person.objects.filter(first_name="Rosa", last_name="Alvarez").first() or Person.objects.create(
            first_name="Rosa", last_name="Alvarez", preferred_language="es", experiencing_homelessness=True
        )
        soon = stabilization.episode_open(
            person=rosa,
            team=team,
            owner=nia,
            by=nia,
            goals="Safe place to sleep tonight; Spanish-speaking counsellor; benefits appointment",
            planned_end_on=today + timedelta(days=10),
            due_at=now + timedelta(hours=3),
        )
        stabilization.episode_contact_record(
            episode=soon, by=leo, method="visit", note="At the shelter, calmer", next_due_at=now + timedelta(hours=3)
        )
        overdue = stabilization.episode_open(
            person=Person.objects.create(first_name="Kevin", last_name="Osei"),
            team=team,
            owner=leo,
            by=nia,
            goals="Medication restarted; family meeting",
            planned_end_on=today + timedelta(days=5),
        )
        Episode.objects.filter(pk=overdue.pk).update(due_at=now - timedelta(hours=2))  # demo: a missed contact
        done = stabilization.episode_open(
            person=Person.objects.create(first_name="Priya", last_name="Natarajan"),
            team=team,
            owner=nia,
            by=nia,
            goals="Through the weekend without a hospital stay",
            planned_end_on=today + timedelta(days=3),
        )
        stabilization.episode_close(episode=done, by=nia, outcome="stabilized", note="Back at work, outpatient booked")
        # The avoided-admission rate on the program outcomes report: one of two ended in hospital.
        admitted = stabilization.episode_open(
            person=Person.objects.create(first_name="Gloria", last_name="Baptiste"),
            team=team,
            owner=leo,
            by=nia,
            goals="Stay with sister; daily check-ins",
            planned_end_on=today + timedelta(days=4),
        )
        stabilization.episode_close(episode=admitted, by=nia, outcome="inpatient", note="Voluntary admission, day 2")

    def _care_escalations(self, now):
        """Stalled hand-offs (Kevin's missed stabilization contact) escalated as the beat would have: to the owner
        one grace period ago, to the supervisors now; "my caseload today" shows them."""
        grace = timedelta(minutes=settings.CARE_ESCALATION_GRACE_MINUTES)
        escalations.escalations_raise(now=now - grace)
        escalations.escalations_raise(now=now)

    def _consult_rota(self, now):
        """Officer consults need someone on call: the demo clinician for a week, the supervisor as backup."""
        program, _ = Program.objects.get_or_create(
            name="Officer Consults",
            defaults=dict(kind=KIND, tiers=[], center_latitude=CENTER[0], center_longitude=CENTER[1]),
        )
        if not OnCallShift.objects.filter(program=program, ends_at__gt=now).exists():
            OnCallShift.objects.create(
                program=program,
                clinician=User.objects.get(username="clinician"),
                backup=User.objects.get(username="supervisor"),
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=7),
            )
