import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone

from crisis import audit_chain, languages


class Source(models.TextChoices):
    TRANSFER_911 = "911", "911 transfer"
    LINE_988 = "988", "988 line"
    LAW_ENFORCEMENT = "law_enforcement", "Law-enforcement request"
    PARTNER = "partner", "Partner agency"
    SELF = "self", "Self / walk-in"
    FOLLOW_UP = "follow_up", "Follow-up"


class LocationType(models.TextChoices):
    RESIDENCE = "residence", "Residence"
    STREET = "street", "Street"
    SHELTER = "shelter", "Shelter"
    ENCAMPMENT = "encampment", "Encampment"
    VEHICLE = "vehicle", "Vehicle"
    BUSINESS = "business", "Business"
    OTHER = "other", "Other"


class CallType(models.TextChoices):
    MENTAL_HEALTH = "mental_health", "Mental-health crisis"
    SUICIDAL = "suicidal", "Suicidal person"
    WELFARE_CHECK = "welfare_check", "Welfare check"
    SUBSTANCE_USE = "substance_use", "Substance use / intoxication"
    SOCIAL_DISTURBANCE = "social_disturbance", "Social disturbance"
    HOMELESSNESS = "homelessness", "Homelessness assistance"
    FAMILY_CONFLICT = "family_conflict", "Family / domestic conflict"
    OTHER = "other", "Other"


class Tier(models.TextChoices):
    PHONE = "phone", "Resolve by phone"
    COMMUNITY = "community", "Community / mobile crisis response"
    CO_RESPONSE = "co_response", "Co-response with law enforcement"
    LE_EMS = "le_ems", "Law-enforcement / EMS-led"


class CallerRelation(models.TextChoices):
    SELF = "self", "The person themself"
    FAMILY = "family", "Family / friend"
    BYSTANDER = "bystander", "Bystander"
    POLICE = "police", "Police"
    PROFESSIONAL = "professional", "Professional"
    OTHER = "other", "Other"


# Tiers that need a team on scene, and so go to routing.
FIELD_TIERS = frozenset({Tier.COMMUNITY, Tier.CO_RESPONSE})


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    TRIAGED = "triaged", "Triaged"
    AWAITING_TEAM = "awaiting_team", "Awaiting team"
    ASSIGNED = "assigned", "Assigned"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    TRANSPORTING = "transporting", "Transporting"
    RESOLVED_BY_PHONE = "resolved_by_phone", "Resolved by phone"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# The call lifecycle. Every status change goes through dispatch.services,
# which refuses anything not listed here.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.TRIAGED, Status.CANCELLED}),
    Status.TRIAGED: frozenset(
        {Status.TRIAGED, Status.AWAITING_TEAM, Status.RESOLVED_BY_PHONE, Status.CLOSED, Status.CANCELLED}
    ),
    Status.AWAITING_TEAM: frozenset(
        {Status.TRIAGED, Status.ASSIGNED, Status.RESOLVED_BY_PHONE, Status.CLOSED, Status.CANCELLED}
    ),
    Status.ASSIGNED: frozenset({Status.EN_ROUTE, Status.ON_SCENE, Status.AWAITING_TEAM, Status.CANCELLED}),
    Status.EN_ROUTE: frozenset({Status.ON_SCENE, Status.AWAITING_TEAM, Status.CANCELLED}),
    Status.ON_SCENE: frozenset({Status.TRANSPORTING, Status.CLOSED}),
    Status.TRANSPORTING: frozenset({Status.CLOSED}),
    Status.RESOLVED_BY_PHONE: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}

# Statuses from which a dispatcher may assign or reassign a team by hand.
ASSIGNABLE = frozenset({Status.TRIAGED, Status.AWAITING_TEAM, Status.ASSIGNED, Status.EN_ROUTE})
# Statuses from which the dispatch desk may withdraw an offer or pull back a team: anything before on scene.
WITHDRAWABLE = frozenset({Status.AWAITING_TEAM, Status.ASSIGNED, Status.EN_ROUTE})
# Statuses a call may be (re-)triaged in.
TRIAGEABLE = frozenset({Status.RECEIVED, Status.TRIAGED, Status.AWAITING_TEAM})
# Field progress a team reports from its phone, in the order it happens.
FIELD_STATUSES = (Status.EN_ROUTE, Status.ON_SCENE, Status.TRANSPORTING)
# Statuses in which the team on scene may clear the call with a disposition.
CLEARABLE = frozenset({Status.ON_SCENE, Status.TRANSPORTING})
OPEN_STATUSES = frozenset(s for s in Status if s not in (Status.CLOSED, Status.CANCELLED))
TEAM_ACTIVE_STATUSES = frozenset({Status.ASSIGNED, Status.EN_ROUTE, Status.ON_SCENE, Status.TRANSPORTING})


class Disposition(models.TextChoices):
    STABILIZED = "stabilized", "Stabilized on scene"
    REFERRED = "referred", "Referred to services"
    TRANSPORTED_VOLUNTARY = "transported_voluntary", "Transported voluntarily"
    INVOLUNTARY_HOLD = "involuntary_hold", "Involuntary hold"
    ED_TRANSPORT = "ed_transport", "Emergency-department transport"
    POLICE_ARREST = "police_arrest", "Police involvement / arrest"
    HANDED_TO_LE_EMS = "handed_to_le_ems", "Handed to police / EMS"
    NO_CONTACT = "no_contact", "No contact / gone on arrival"
    RESOLVED_BY_PHONE = "resolved_by_phone", "Resolved by phone"


# The 988 line is a phone line: an anonymous caller may not say where they are, and the call can be resolved by
# phone without it. Every other call needs an address (or a landmark) to send anyone.
ADDRESS_OPTIONAL_SOURCES = frozenset({Source.LINE_988})
ADDRESS_REQUIRED = (
    "Give the address or the nearest landmark (type it, pick a match, or click the map). "
    "Only a 988 call may be taken without one."
)


def address_key(address: str) -> str:
    """Normalised address for premise-history matching ('12 Elm St.' == '12  elm st')."""
    return re.sub(r"[^a-z0-9]+", " ", address.lower()).strip()


class CallQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def queue_order(self):
        # Untriaged calls first (they need a decision), then priority, then
        # who has waited longest.
        return self.order_by(models.F("priority").asc(nulls_first=True), "received_at", "id")


class Call(models.Model):
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The NENA answer standard runs from the ring to the pick-up. Only a phone system knows when the phone rang
    # (dispatch/telephony.py); a call without a ring time is not measured rather than counted as answered at once.
    rang_at = models.DateTimeField(null=True, blank=True)
    # When a person picked up: the phone system's word, else when the dispatcher opened the intake page.
    answered_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    caller_name = models.CharField(max_length=120, blank=True)
    callback_number = models.CharField(max_length=32, blank=True)
    person = models.ForeignKey("crisis.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="calls")
    person_description = models.TextField(blank=True)
    # Blank only for a 988 call (Call.clean): a caller on the phone line may stay anonymous and not say where.
    address = models.CharField(max_length=255, blank=True)
    address_key = models.CharField(max_length=255, db_index=True, editable=False)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_type = models.CharField(max_length=16, choices=LocationType.choices, default=LocationType.OTHER)
    area_type = models.CharField(max_length=8, default="urban")
    call_type = models.CharField(max_length=24, choices=CallType.choices)
    nature = models.CharField(max_length=200, help_text="Short nature of the call, as told.")
    narrative = models.TextField(blank=True)
    language = models.CharField(max_length=8, default="en")
    region = models.CharField(max_length=40, default="central")
    # The language the team offered or assigned needs the interpreter line for ("" when none): no free team
    # spoke it, and the call went to the best other team rather than wait (dispatch/interpreter.py).
    interpreter_line = models.CharField(max_length=8, blank=True, default="")
    # The dispatcher's edits of what the call needs, against what the screen implies (dispatch/selectors.call_needs):
    # routing uses (inferred - removed) | added, so a re-triage still adds what the new screen implies.
    needs_added = models.JSONField(default=list, blank=True)
    needs_removed = models.JSONField(default=list, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    tier = models.CharField(max_length=16, choices=Tier.choices, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    awaiting_since = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When a dispatcher or the diversion clinician resolved the call by phone: the time of its timeline's
    # "call.resolved_by_phone" row, written with that row by its one writer (dispatch/calls.call_resolve_by_phone),
    # so the phone-then-field measure reads a column instead of the timeline's MIN per call (330,000 probes for
    # a year at 1,000,000 calls). NULL for every other call, and for a call closed "resolved by phone" without it.
    resolved_by_phone_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Where the team took the person (set when it reports transporting; the timeline keeps each report).
    transport_destination = models.CharField(max_length=200, blank=True, default="")
    disposition = models.CharField(max_length=24, choices=Disposition.choices, blank=True)
    program = models.ForeignKey("programs.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("responders.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Routing bookkeeping: the latest decision, shown to the dispatcher.
    routing_explanation = models.JSONField(default=dict, blank=True)
    recommended_team = models.ForeignKey(
        "responders.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_routed_at = models.DateTimeField(null=True, blank=True)
    unrouted_flagged_at = models.DateTimeField(null=True, blank=True)
    # Set when refused offers reached REOFFER_ESCALATE_AFTER in this wait (dispatch/reoffer.py).
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Partner agencies (police, ems; comma-separated) a police/EMS-led call must still be handed to. Set by
    # triage, emptied agency by agency as hand-offs are recorded (dispatch/handoffs.py); the board flags the
    # call and runs a clock from triaged_at while it is not empty.
    handoff_pending = models.CharField(max_length=20, blank=True, default="")
    # The police/EMS units on the call besides the crisis team, as the board row shows them: a copy kept by the
    # one writer of CallUnit (dispatch/units.py) in the same transaction, so redrawing a row on every phone tap
    # costs no query. The CallUnit rows and the timeline are the record; this is only their current summary.
    units = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # Bumped with every published change, so a screen can drop a row that
    # arrives after a newer one (two commits on one call within milliseconds).
    version = models.PositiveIntegerField(default=0)

    objects = CallQuerySet.as_manager()

    class Meta:
        permissions = [
            ("triage_call", "Can triage a call"),
            ("close_call", "Can close or cancel a call"),
            ("view_queue", "Can view the call queue"),
            ("view_premise_history", "Can view prior calls at an address or about a person"),
            ("assign_call", "Can assign or reassign a team"),
            ("request_response", "Can request a crisis team (law enforcement)"),
            ("report_answered", "Can report a phone call answered (telephony)"),
        ]
        indexes = [
            models.Index(fields=["status", "priority", "received_at"]),
            # A person's calls in time order, for the repeat-call measures (reports/outcomes.py: LAG over the
            # person's calls) and the later calls about a person: at 1,000,000 calls the window read them
            # through the person index in random heap order and sorted them again (1.4 s + 0.4 s per pass).
            models.Index(
                fields=["person", "received_at", "id"],
                condition=models.Q(person__isnull=False),
                name="call_person_received",
            ),
            # The calls resolved by phone by when they closed, and when they were received: the phone-then-field
            # measure reads from the calls only those closed in its range but received days before it
            # (reports/phone_then_field.py), and the received time is checked in the index, not on 330,000 rows
            # of a year at 1,000,000 calls (0.3 s for a 30-day range with the close alone).
            models.Index(
                fields=["closed_at", "received_at"],
                condition=models.Q(status=Status.RESOLVED_BY_PHONE)
                | models.Q(disposition=Disposition.RESOLVED_BY_PHONE),
                name="call_phone_resolved_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"Call #{self.pk} {self.nature}"

    def save(self, *args, **kwargs):
        self.address_key = address_key(self.address)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if not self.address.strip() and self.source not in ADDRESS_OPTIONAL_SOURCES:
            raise ValidationError({"address": ADDRESS_REQUIRED})

    def waiting_seconds(self, now) -> float:
        return (now - (self.awaiting_since or self.received_at)).total_seconds()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def language_name(self) -> str:
        return languages.name(self.language)

    def allowed_next(self) -> frozenset[str]:
        return TRANSITIONS[self.status]


class Triage(models.Model):
    """One risk screen and its result. A call may be re-triaged; the latest counts."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="triages")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # The screen (Columbia protocol questions for suicide risk).
    weapons = models.BooleanField("Weapons involved or accessible", default=False)
    violence = models.BooleanField("Violence or imminent danger to others", default=False)
    medical = models.BooleanField("Medical emergency or overdose", default=False)
    si_wish_dead = models.BooleanField("Wished to be dead or not wake up (past month)", default=False)
    si_thoughts = models.BooleanField("Thoughts of killing themself (past month)", default=False)
    si_method = models.BooleanField("Thought about how they might do it", default=False)
    si_intent = models.BooleanField("Intention of acting on these thoughts", default=False)
    si_plan = models.BooleanField("Worked out details / intends to carry out the plan", default=False)
    si_behavior = models.BooleanField("Suicidal behavior or attempt (past 3 months)", default=False)
    intoxication = models.BooleanField("Intoxicated", default=False)
    police_on_scene = models.BooleanField("Police already on scene", default=False)
    children_present = models.BooleanField("Children present", default=False)
    phone_engaged = models.BooleanField("Engaged and safe to continue by phone", default=False)
    person_is_minor = models.BooleanField("The person is a minor", default=False)
    # Asked when they matter: None = not asked, never read as "no" (dispatch/triage.py OPEN_QUESTIONS).
    imminent_danger = models.BooleanField("In danger now: act in progress or at the means", null=True, default=None)
    lethal_means = models.BooleanField("Access to lethal means (firearm, pills, …)", null=True, default=None)
    assault_in_progress = models.BooleanField("Violence or assault in progress", null=True, default=None)
    overdose_risk = models.BooleanField("Overdose risk", null=True, default=None)
    self_harm = models.BooleanField("Self-harm without suicidal intent", null=True, default=None)
    psychosis = models.BooleanField("Psychosis or command hallucinations", null=True, default=None)
    agitation = models.BooleanField("Severe agitation or barricaded", null=True, default=None)
    medical_need = models.BooleanField("Medical need, not an emergency", null=True, default=None)
    person_reachable = models.BooleanField("The person can be reached by phone", null=True, default=None)
    protective_factors = models.BooleanField(
        "Protective factors (support, reasons for living)", null=True, default=None
    )
    age = models.PositiveSmallIntegerField("Age (years)", null=True, blank=True)
    caller_relation = models.CharField("Who is calling", max_length=12, choices=CallerRelation.choices, blank=True)
    # What the person's record added to this screen (e.g. ["hx_weapons_access"]): shown as "From history: …".
    from_history = models.JSONField(default=list, blank=True)

    priority = models.PositiveSmallIntegerField()
    computed_tier = models.CharField(max_length=16, choices=Tier.choices)
    tier = models.CharField(max_length=16, choices=Tier.choices)
    rules_fired = models.JSONField(default=list)
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        get_latest_by = ["at", "id"]

    @property
    def overridden(self) -> bool:
        return self.tier != self.computed_tier


class CallEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("A call's timeline cannot be changed.")

    def delete(self):
        raise PermissionDenied("A call's timeline cannot be deleted.")


class CallEvent(models.Model):
    """The call's timeline: every transition and action, who, when and from where.

    It is the call's audit trail (the audit table holds reads and non-call
    actions), so it is append-only like the audit table: the model refuses
    updates and deletes, and on PostgreSQL a trigger does too.
    """

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("responders.Team", null=True, on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The timeline's hash chain (crisis/audit_chain.py, registered in DispatchConfig.ready): save() hashes the
    # row; PostgreSQL appends the chain at commit (dispatch migration 0008), other databases in save().
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    chain_seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = CallEventQuerySet.as_manager()

    # What an event says, hashed in this order (changing it breaks every sealed row's hash).
    CHAIN_FIELDS = ("at", "call", "kind", "from_status", "to_status", "actor", "team", "detail", "ip_address")
    CHAIN_HEAD = 2  # its row in crisis.AuditChainHead (1 is the audit trail's)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["call", "at"])]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("A call's timeline cannot be changed.")
        audit_chain.append(self, lambda: super(CallEvent, self).save(*args, **kwargs))

    def delete(self, *args, **kwargs):
        raise PermissionDenied("A call's timeline cannot be deleted.")

    @property
    def actor_label(self) -> str:
        return self.actor.get_username() if self.actor_id else "system"


class AssignmentStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    LAPSED = "lapsed", "Lapsed"
    COMPLETED = "completed", "Completed"
    # Ended by another action on the call: reassigned, re-triaged, resolved by phone, cancelled.
    WITHDRAWN = "withdrawn", "Withdrawn / reassigned"
    # The dispatch desk took this team off this call, with a reason (dispatch.assignments.assignment_withdraw):
    # like a decline, the team sits out the re-offer cool-down for this call (dispatch/reoffer.py).
    RECALLED = "recalled", "Withdrawn by dispatch"


ACTIVE_ASSIGNMENT = (AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED)


class Assignment(models.Model):
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="assignments")
    team = models.ForeignKey("responders.Team", on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.OFFERED)
    offered_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=200, blank=True)
    manual_reason = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    eta_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-offered_at", "-id"]
        # The last line of defence against double booking: whatever the code
        # does, the database refuses a second active assignment.
        constraints = [
            models.UniqueConstraint(
                fields=["team"], condition=models.Q(status__in=ACTIVE_ASSIGNMENT), name="one_active_assignment_per_team"
            ),
            models.UniqueConstraint(
                fields=["call"], condition=models.Q(status__in=ACTIVE_ASSIGNMENT), name="one_active_assignment_per_call"
            ),
        ]
        # Every routing run counts each team's answered offers of the last 12 hours (workload, dispatch/warm.py):
        # without it that was a scan of the whole history (300,000 old offers: a 1,000-team run's live read
        # 5 -> 280-490 ms).
        indexes = [models.Index(fields=["offered_at"], name="assignment_offered_at")]

    def __str__(self) -> str:
        return f"{self.team} → call #{self.call_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ASSIGNMENT

    def seconds_left(self, now) -> float | None:
        if self.status != AssignmentStatus.OFFERED or self.expires_at is None:
            return None
        return max(0.0, (self.expires_at - now).total_seconds())


class Agency(models.TextChoices):
    POLICE = "police", "Police"
    EMS = "ems", "EMS"


class Handoff(models.Model):
    """A police/EMS-led call handed to the partner agency: who took it, under which incident number and unit."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="handoffs")
    agency = models.CharField(max_length=8, choices=Agency.choices)
    incident_number = models.CharField(max_length=40, help_text="The agency's own incident number.")
    unit = models.CharField(max_length=40, help_text="The agency's unit that takes the call.")
    handed_off_at = models.DateTimeField(help_text="When the agency took the call.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        # One hand-off per agency and call: a second record is a 409, not a silent second row.
        constraints = [models.UniqueConstraint(fields=["call", "agency"], name="one_handoff_per_agency")]

    def __str__(self) -> str:
        return f"Call #{self.call_id} to {self.get_agency_display()} {self.incident_number}"


class UnitStatus(models.TextChoices):
    DISPATCHED = "dispatched", "Dispatched"
    EN_ROUTE = "en_route", "En route"
    ON_SCENE = "on_scene", "On scene"
    CLEARED = "cleared", "Cleared"


# A partner unit's own lifecycle, apart from the call's: it may skip en route (already nearby) and clear from
# any state (cancelled on the way, or left the scene).
UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    UnitStatus.DISPATCHED: frozenset({UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.CLEARED}),
    UnitStatus.EN_ROUTE: frozenset({UnitStatus.ON_SCENE, UnitStatus.CLEARED}),
    UnitStatus.ON_SCENE: frozenset({UnitStatus.CLEARED}),
    UnitStatus.CLEARED: frozenset(),
}


class CallUnit(models.Model):
    """A police or EMS unit on a call besides the crisis team, each with its own status and times.

    Written only by dispatch/units.py. A recorded hand-off adds the agency's unit; the desk adds one by hand for
    a co-response where no paired team exists (a community team and a police unit).
    """

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="call_units")
    agency = models.CharField(max_length=8, choices=Agency.choices)
    unit = models.CharField(max_length=40, help_text="The agency's own unit id, e.g. 4A12 or Medic 7.")
    incident_number = models.CharField(max_length=40, blank=True)
    handoff = models.ForeignKey(Handoff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=UnitStatus.choices, default=UnitStatus.DISPATCHED)
    dispatched_at = models.DateTimeField(default=timezone.now)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["dispatched_at", "id"]
        # The same agency unit twice on one call at once is a typo or a double click: a 409, not a second row.
        constraints = [
            models.UniqueConstraint(
                fields=["call", "agency", "unit"],
                condition=~models.Q(status="cleared"),
                name="one_active_unit_per_call",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_agency_display()} {self.unit} on call #{self.call_id} ({self.status})"


class TelephonyCall(models.Model):
    """A phone call the phone system reported answered (dispatch/telephony.py), until intake claims it.

    The phone system's own call id makes the report idempotent: a retried POST finds the row it made.
    """

    ref = models.CharField(max_length=64, unique=True, help_text="The phone system's call id.")
    ani = models.CharField(max_length=32, blank=True, help_text="The caller's number (ANI).")
    rang_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField()
    reported_at = models.DateTimeField(default=timezone.now)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    call = models.OneToOneField(Call, null=True, blank=True, on_delete=models.PROTECT, related_name="telephony")

    class Meta:
        indexes = [models.Index(fields=["ani", "answered_at"])]

    def __str__(self) -> str:
        return f"Phone call {self.ref}"
