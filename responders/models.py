from django.conf import settings
from django.db import models
from django.utils import timezone


class TeamStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    OFFERED = "offered", "Offered a call"
    ASSIGNED = "assigned", "Assigned / en route"
    ON_SCENE = "on_scene", "On scene"
    TRANSPORTING = "transporting", "Transporting"
    OUT_OF_SERVICE = "out_of_service", "Out of service"
    OFF_SHIFT = "off_shift", "Off shift"


# Statuses in which a team is working a call (holds an active assignment).
BUSY_STATUSES = frozenset({TeamStatus.OFFERED, TeamStatus.ASSIGNED, TeamStatus.ON_SCENE, TeamStatus.TRANSPORTING})

# What a responder (or dispatcher) may set directly. Offer and assignment
# statuses are set only by the routing services, never by hand.
MANUAL_TRANSITIONS: dict[str, frozenset[str]] = {
    TeamStatus.OFF_SHIFT: frozenset({TeamStatus.AVAILABLE}),
    TeamStatus.AVAILABLE: frozenset({TeamStatus.OUT_OF_SERVICE, TeamStatus.OFF_SHIFT}),
    TeamStatus.OUT_OF_SERVICE: frozenset({TeamStatus.AVAILABLE, TeamStatus.OFF_SHIFT}),
}


class Credential(models.TextChoices):
    LICENSED_CLINICIAN = "licensed_clinician", "Licensed clinician"
    PEER_SPECIALIST = "peer_specialist", "Peer specialist"
    EMT = "emt", "EMT / paramedic"
    NURSE = "nurse", "Nurse"
    CASE_MANAGER = "case_manager", "Case manager"
    INTERN = "intern", "Intern"


MEDICAL_CREDENTIALS = frozenset({Credential.EMT, Credential.NURSE})


class Specialty(models.TextChoices):
    YOUTH = "youth", "Youth"
    VETERANS = "veterans", "Veterans"
    SUBSTANCE_USE = "substance_use", "Substance use"
    DEVELOPMENTAL_DISABILITY = "developmental_disability", "Developmental disability"


class Team(models.Model):
    name = models.CharField(max_length=80, unique=True)
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="teams")
    region = models.CharField(max_length=40, default="central")
    status = models.CharField(max_length=16, choices=TeamStatus.choices, default=TeamStatus.OFF_SHIFT)
    status_changed_at = models.DateTimeField(default=timezone.now)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_reported_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every status change; a phone replaying queued taps sends the
    # version it saw, so a stale or out-of-order change is refused.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("respond_to_offer", "Can accept or decline offers for own team"),
            ("update_own_team", "Can update own team's status and location"),
            ("manage_team", "Can manage any team"),
        ]

    def __str__(self) -> str:
        return self.name

    def location_age_seconds(self, now) -> float | None:
        if self.location_reported_at is None:
            return None
        return (now - self.location_reported_at).total_seconds()

    def location_is_stale(self, now) -> bool:
        age = self.location_age_seconds(now)
        return age is None or age > settings.LOCATION_STALE_SECONDS

    def seconds_in_status(self, now) -> float:
        return (now - self.status_changed_at).total_seconds()


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    credential = models.CharField(max_length=24, choices=Credential.choices)
    languages = models.JSONField(default=list, blank=True, help_text='ISO codes, e.g. ["en", "es"]')
    specialties = models.JSONField(default=list, blank=True)
    # An intern may go out only with their licensed supervisor on the same team.
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="supervisees"
    )
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.get_credential_display()}, {self.team})"


class SosAlert(models.Model):
    """A responder's emergency button. Stays open on the board until a dispatcher acknowledges it."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="sos_alerts")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The team's last known position when the button was pressed (it may be stale: shown with its age).
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_reported_at = models.DateTimeField(null=True, blank=True)
    # Where that is, in words, when the alert was raised (dispatch.team_state.team_raise_sos): the call's
    # address, or "near <the nearest known address>", or blank when no address is known nearby.
    address = models.CharField(max_length=300, blank=True, default="")
    call = models.ForeignKey("dispatch.Call", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["acknowledged_at", "raised_at"])]

    def __str__(self) -> str:
        return f"SOS {self.team} at {self.raised_at:%H:%M:%S}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class InternTerm(models.Model):
    """An intern from a partner university: who supervises them, and the term their access lasts.

    Access ends by itself when the term does (`responders.interns.intern_terms_end_due`, run by beat): the
    account is deactivated and every session and token ended through crisis.revocation.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="intern_term")
    university = models.CharField(max_length=120)
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="The last day of the term: access ends after it.")
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When access was ended.")
    required_hours = models.PositiveSmallIntegerField(
        default=0, help_text="Supervised hours the university requires this term (0: none set)."
    )
    # Why access ended before the term's last day (a program manager ended it early); blank when it ran out.
    end_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["ends_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="intern_term_ends_after"
            ),
            models.CheckConstraint(condition=~models.Q(user=models.F("supervisor")), name="intern_not_own_supervisor"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.university}, until {self.ends_on:%Y-%m-%d})"


class SupervisionNote(models.Model):
    """An intern's note in their supervision log, signed off by their supervisor."""

    term = models.ForeignKey(InternTerm, on_delete=models.PROTECT, related_name="notes")
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True, help_text="The supervisor's comment on signing.")

    class Meta:
        ordering = ["-at", "-pk"]


class InternHours(models.Model):
    """Hours an intern worked on one day, and what at; they count towards the term's required hours only once
    their supervisor has signed them off (as the supervision log's notes)."""

    term = models.ForeignKey(InternTerm, on_delete=models.PROTECT, related_name="hours")
    on = models.DateField()
    hours = models.DecimalField(max_digits=4, decimal_places=2)
    activity = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-on", "-pk"]
        verbose_name_plural = "intern hours"
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gt=0, hours__lte=24), name="intern_hours_in_a_day"),
        ]


class PushSubscription(models.Model):
    """A browser's Web Push subscription: where to notify a team member of an offer (dispatch/push.py).

    One row per browser (the endpoint is the push service's address for it). The keys encrypt the payload
    end to end, so the push service cannot read it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Push subscription of {self.user} ({self.endpoint[:40]}…)"
