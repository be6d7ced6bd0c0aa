"""FACT: forensic assertive community treatment. A small team carries justice-involved clients with a serious
mental illness around the clock; these are its records. Written only by fact.services (checked and audited)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class JusticeInvolvement(models.TextChoices):
    PROBATION = "probation", "On probation"
    PAROLE = "parole", "On parole"
    PRETRIAL = "pretrial", "Pretrial release"
    JAIL_RELEASE = "jail_release", "Released from jail or prison"
    COURT_REFERRAL = "court_referral", "Referred by a mental health or other court"
    REPEATED_ARRESTS = "repeated_arrests", "Repeated arrests or jail stays"


class DischargeReason(models.TextChoices):
    STEPPED_DOWN = "stepped_down", "Goals met, stepped down to less intensive care"
    MOVED = "moved", "Moved out of the service area"
    INCARCERATED = "incarcerated", "Long-term incarceration"
    HOSPITALIZED = "hospitalized", "Long-term hospital or residential care"
    DECLINED = "declined", "Declined further services"
    LOST_CONTACT = "lost_contact", "Lost contact"
    DIED = "died", "Died"
    OTHER = "other", "Other"


class Enrollment(models.Model):
    """A justice-involved client on a FACT team's caseload (the team answers 24/7).

    The eligibility FACT requires is recorded with the enrolment: a serious mental illness and justice involvement.
    The counts "before" cover the 12 months before enrolment, as the client and records tell them at intake;
    after enrolment each arrest, jail stay and hospital stay is an OutcomeEvent, and crisis calls come from the calls.
    """

    person = models.ForeignKey("crisis.Person", on_delete=models.PROTECT, related_name="fact_enrollments")
    team = models.ForeignKey("responders.Team", on_delete=models.PROTECT, related_name="fact_enrollments")
    enrolled_on = models.DateField(default=timezone.localdate)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    serious_mental_illness = models.BooleanField(default=False)
    diagnosis = models.CharField(max_length=200, blank=True, help_text="The qualifying diagnosis, e.g. schizophrenia.")
    justice_involvement = models.CharField(max_length=20, choices=JusticeInvolvement.choices, blank=True)
    eligibility_note = models.TextField(blank=True)
    arrests_before = models.PositiveIntegerField(default=0)
    jail_days_before = models.PositiveIntegerField(default=0)
    hospital_days_before = models.PositiveIntegerField(default=0)
    # What a responder on a crisis call needs from the chart and nothing more: what helps, what to avoid, who to call.
    crisis_plan = models.TextField(blank=True)
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=16, choices=DischargeReason.choices, blank=True)
    discharge_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(discharged_on__isnull=True), name="fact_one_open_enrollment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.team}"

    @property
    def is_open(self) -> bool:
        return self.discharged_on is None


class OutcomeKind(models.TextChoices):
    ARREST = "arrest", "Arrest"
    JAIL = "jail", "Jail stay"
    HOSPITAL = "hospital", "Psychiatric hospital stay"


class OutcomeEvent(models.Model):
    """An arrest, jail stay or hospital stay after enrolment: what FACT exists to reduce."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="outcome_events")
    kind = models.CharField(max_length=10, choices=OutcomeKind.choices)
    on = models.DateField()
    days = models.PositiveIntegerField(default=0, help_text="Days in jail or hospital (0 for an arrest).")
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)


class GoalStatus(models.TextChoices):
    ACTIVE = "active", "Working on it"
    MET = "met", "Met"
    NOT_MET = "not_met", "Not met"
    DROPPED = "dropped", "Dropped"


class Goal(models.Model):
    """A treatment-plan goal, e.g. "keeps every probation appointment"."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="goals")
    text = models.CharField(max_length=300)
    target_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return self.text


class ContactMethod(models.TextChoices):
    VISIT = "visit", "Home or street visit"
    PHONE = "phone", "Phone"
    OFFICE = "office", "Office"
    COURT = "court", "Court or probation"
    COLLATERAL = "collateral", "With family or another provider"


class Contact(models.Model):
    """A contact between the team and a client (assertive: the team goes to the client)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="contacts")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=12, choices=ContactMethod.choices, default=ContactMethod.VISIT)
    reached = models.BooleanField(default=True)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["enrollment", "-at"])]


class OnCallShift(models.Model):
    """Who on a FACT team carries the phone, when: the team answers its clients 24/7."""

    team = models.ForeignKey("responders.Team", on_delete=models.PROTECT, related_name="fact_on_call")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fact_on_call")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="fact_shift_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["team", "starts_at", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.member} on call for {self.team} {self.starts_at:%a %H:%M}–{self.ends_at:%a %H:%M}"
