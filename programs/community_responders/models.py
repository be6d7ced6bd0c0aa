from datetime import timedelta

from django.db import models
from django.utils import timezone

# A referral that nobody moves on for this long is overdue (the partner has not answered, the person not been seen).
REFERRAL_DUE = timedelta(hours=72)


class Partner(models.Model):
    """A partner service people are referred to. The directory is kept by administrators in the admin."""

    name = models.CharField(max_length=120, unique=True)
    services = models.TextField(help_text="What the partner offers, e.g. outpatient psychiatry, detox, food pantry.")
    hours = models.CharField(max_length=200, blank=True, help_text="E.g. Mon-Fri 9-17, walk-in until 15.")
    phone = models.CharField(max_length=32, blank=True)
    address = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=True, help_text="Inactive: kept on old referrals, no new ones.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReferralStatus(models.TextChoices):
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted by the partner"
    APPOINTMENT = "appointment", "Appointment made"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "Did not attend"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


S = ReferralStatus
# The closed loop: which status may follow which. referral_set_status refuses anything else (409).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SENT: frozenset({S.ACCEPTED, S.DECLINED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.APPOINTMENT, S.DECLINED, S.CANCELLED}),
    S.APPOINTMENT: frozenset({S.ATTENDED, S.NO_SHOW, S.CANCELLED}),
    S.ATTENDED: frozenset(),
    S.NO_SHOW: frozenset(),
    S.DECLINED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN_STATUSES = frozenset(s for s, nexts in TRANSITIONS.items() if nexts)

# Each status as an HL7 FHIR R4 Task.status (https://hl7.org/fhir/R4/valueset-task-status.html), for exchange
# with partners' systems: a referral is a Task whose owner is the partner.
FHIR_TASK_STATUS: dict[str, str] = {
    S.SENT: "requested",
    S.ACCEPTED: "accepted",
    S.APPOINTMENT: "in-progress",
    S.ATTENDED: "completed",
    S.NO_SHOW: "failed",
    S.DECLINED: "rejected",
    S.CANCELLED: "cancelled",
}


class Referral(models.Model):
    """A referral to a partner service, followed until the person attends (or it ends otherwise).

    Written only by community_responders.services; every status change is audited with who and when.
    """

    call = models.ForeignKey("dispatch.Call", on_delete=models.PROTECT, related_name="referrals")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    agency = models.CharField(max_length=120)
    service = models.CharField(max_length=120)
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # Who keeps the loop closed, and by when the next step is due.
    owner = models.ForeignKey("crisis.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"Referral to {self.agency} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def fhir_status(self) -> str:
        return FHIR_TASK_STATUS[self.status]

    def next_statuses(self) -> list[str]:
        return [s for s in ReferralStatus.values if s in TRANSITIONS[self.status]]

    def is_overdue(self, now) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < now


class ClearOutcome(models.TextChoices):
    """How a community responders' call ended for the person, recorded by the team at clear."""

    # Wellness (welfare) checks
    FOUND_SAFE = "found_safe", "Found, safe, no needs"
    FOUND_NEEDS_MET = "found_needs_met", "Found, needs met on scene"
    FOUND_REFERRED = "found_referred", "Found, referred to a service"
    NOT_FOUND = "not_found", "Not found at the address"
    # Social disturbances
    DEESCALATED = "deescalated", "De-escalated on scene"
    MOVED_ON = "moved_on", "Person moved on"
    # Either
    DECLINED = "declined", "Person declined contact"
    HANDED_ON = "handed_on", "Handed to mobile crisis, EMS or police"


CO = ClearOutcome
# The choices the clear form offers per call type ("" is any other call type the team clears).
OUTCOMES_BY_CALL_TYPE: dict[str, tuple[str, ...]] = {
    "welfare_check": (CO.FOUND_SAFE, CO.FOUND_NEEDS_MET, CO.FOUND_REFERRED, CO.NOT_FOUND, CO.DECLINED, CO.HANDED_ON),
    "social_disturbance": (CO.DEESCALATED, CO.MOVED_ON, CO.FOUND_REFERRED, CO.DECLINED, CO.HANDED_ON),
    "": (CO.FOUND_NEEDS_MET, CO.FOUND_REFERRED, CO.DECLINED, CO.HANDED_ON),
}


class CallOutcome(models.Model):
    """What the community responders' team found and did, recorded once at clear (community_responders.services)."""

    call = models.OneToOneField("dispatch.Call", on_delete=models.PROTECT, related_name="community_outcome")
    outcome = models.CharField(max_length=20, choices=ClearOutcome.choices)
    recorded_by = models.ForeignKey("crisis.User", null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Call #{self.call_id}: {self.get_outcome_display()}"
