"""Officer consults with the designated on-call clinician (the law-enforcement remote consult program)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

KIND = "le_remote_consult"


class OnCallShift(models.Model):
    """Who answers officers' consults when: the designated clinician, and the backup an unanswered one goes to."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="consult_shifts")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    backup = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = "on-call shift"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="oncall_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~models.Q(clinician=models.F("backup")), name="oncall_backup_is_someone_else"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician} (backup {self.backup}), {self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%H:%M}"


class Need(models.TextChoices):
    ADVICE = "advice", "Advice now"
    TEAM = "team", "A team"
    VIDEO = "video", "A video consult"


class ConsultStatus(models.TextChoices):
    REQUESTED = "requested", "Waiting for the clinician"
    ESCALATED = "escalated", "Waiting: backup and supervisors called"
    ACCEPTED = "accepted", "In progress"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled by the officer"


# The lifecycle, in one table: the services refuse anything else.
TRANSITIONS: dict[str, frozenset[str]] = {
    ConsultStatus.REQUESTED: frozenset({ConsultStatus.ESCALATED, ConsultStatus.ACCEPTED, ConsultStatus.CANCELLED}),
    ConsultStatus.ESCALATED: frozenset({ConsultStatus.ACCEPTED, ConsultStatus.CANCELLED}),
    ConsultStatus.ACCEPTED: frozenset({ConsultStatus.CLOSED}),
    ConsultStatus.CLOSED: frozenset(),
    ConsultStatus.CANCELLED: frozenset(),
}
OPEN = (ConsultStatus.REQUESTED, ConsultStatus.ESCALATED, ConsultStatus.ACCEPTED)
WAITING = (ConsultStatus.REQUESTED, ConsultStatus.ESCALATED)


class Outcome(models.TextChoices):
    """What the consult changed, for the reports."""

    ARREST_AVOIDED = "arrest_avoided", "Arrest avoided"
    EMERGENCY_HOLD = "emergency_hold", "Emergency hold"
    CRISIS_CENTRE = "crisis_centre", "Transport to crisis centre"
    TEAM_SENT = "team_sent", "Team sent"
    RESOLVED_ON_SCENE = "resolved_on_scene", "Resolved on scene"


class VideoConsent(models.TextChoices):
    """The person's consent to the video, recorded by the clinician before it starts."""

    AGREED = "agreed", "The person agreed"
    NOT_OBTAINED = "not_obtained", "Not obtained"


class Consult(models.Model):
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    shift = models.ForeignKey(OnCallShift, null=True, on_delete=models.PROTECT, related_name="consults")
    # Copied from the shift when requested: the rota may change later, the consult's people may not.
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    backup = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    need = models.CharField(max_length=10, choices=Need.choices)
    description = models.CharField(max_length=500, blank=True)
    address = models.CharField(max_length=200, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_accuracy_m = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ConsultStatus.choices, default=ConsultStatus.REQUESTED)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    escalate_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(blank=True)
    # The person, once the clinician identified them: the plan's officer view may then be shared.
    person = models.ForeignKey("crisis.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The dispatch call opened when the clinician asked for a team (through the call desk port): the officer
    # follows which team is coming and its ETA on the consult.
    call = models.OneToOneField(
        "dispatch.Call", null=True, blank=True, on_delete=models.PROTECT, related_name="consult"
    )
    # Seconds the officer and the clinician were on video together, over every session of this consult.
    video_seconds = models.PositiveIntegerField(default=0)
    # Telehealth consent: the clinician records, before the video starts, that the person agreed, or why it
    # goes ahead without their agreement (an emergency, the person cannot answer).
    video_consent = models.CharField(max_length=12, choices=VideoConsent.choices, blank=True)
    video_consent_reason = models.CharField(max_length=300, blank=True)
    video_consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    video_consent_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        permissions = [
            ("request_consult", "Can request a consult with the on-call clinician (officer)"),
            ("answer_consult", "Can answer officers' consults"),
            ("supervise_consult", "Can follow every consult and take over escalated ones"),
        ]
        indexes = [models.Index(fields=["status", "escalate_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(outcome=""), name="closed_consult_has_outcome"
            )
        ]

    def __str__(self) -> str:
        return f"Consult #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def waiting_seconds(self, now) -> float:
        end = self.accepted_at or self.closed_at or now
        return max(0.0, (end - self.requested_at).total_seconds())


class ConsultMessage(models.Model):
    consult = models.ForeignKey(Consult, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField()

    class Meta:
        ordering = ["at", "pk"]


class VideoEnd(models.TextChoices):
    HUNG_UP = "hung_up", "Hung up"
    DROPPED = "dropped", "Connection lost"
    CONSULT_CLOSED = "consult_closed", "Consult closed"


class VideoSession(models.Model):
    """One video call between the consult's officer and the clinician handling it (WebRTC, peer to peer).

    The media never passes through the server; these rows say who joined when and how long they were
    connected, which is what the consult's `video_seconds` adds up.
    """

    consult = models.ForeignKey(Consult, on_delete=models.PROTECT, related_name="video_sessions")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    officer_joined_at = models.DateTimeField(null=True, blank=True)
    clinician_joined_at = models.DateTimeField(null=True, blank=True)
    # Both sides in: the call's clock runs from here.
    connected_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.CharField(max_length=20, choices=VideoEnd.choices, blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)
    # The clinician's short note after the session.
    note = models.TextField(blank=True)
    note_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            # At most one session of a consult is open at a time: two sockets joining at once cannot open two.
            models.UniqueConstraint(
                fields=["consult"], condition=models.Q(ended_at__isnull=True), name="one_open_video_per_consult"
            )
        ]

    def __str__(self) -> str:
        return f"Video session #{self.pk} of consult #{self.consult_id}"
