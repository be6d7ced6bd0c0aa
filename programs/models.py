import math

from django.db import models


class ProgramKind(models.TextChoices):
    MOBILE_CRISIS = "mobile_crisis", "Mobile crisis team"
    COMMUNITY_RESPONDER = "community_responder", "Community responders"
    FACT = "fact", "Forensic assertive community treatment (FACT)"
    HOMELESS_OUTREACH = "homeless_outreach", "Cross-system homeless outreach"
    CRISIS_STABILIZATION = "crisis_stabilization", "Community-based crisis stabilization"
    DISPATCH_DIVERSION = "dispatch_diversion", "911 dispatch diversion"
    LE_REMOTE_CONSULT = "le_remote_consult", "Law-enforcement remote consult"
    TELEHEALTH = "telehealth", "Telehealth for officers"
    INTERN_SUPPORT = "intern_support", "Intern support"


def program_kind_choices() -> list[tuple[str, str]]:
    """The built-in kinds, and any a registered program plugin adds (no edit here for a new program)."""
    from .plugins import registered_kinds

    known = dict(ProgramKind.choices)
    for value, label in registered_kinds():
        known.setdefault(value, label)
    return list(known.items())


class AreaType(models.TextChoices):
    URBAN = "urban", "Urban"
    RURAL = "rural", "Rural"


class Program(models.Model):
    """A program is data: what it serves, when and where.

    Programs that behave differently (FACT's enrolled caseload, outreach's
    housing partners) add rules through their own app's plugin; routing never
    branches on a program's name or kind.
    """

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=32, choices=program_kind_choices)
    tiers = models.JSONField(default=list, help_text="Response tiers this program answers (dispatch.Tier values).")
    call_types = models.JSONField(default=list, help_text="Call types served; empty means all.")
    open_24_7 = models.BooleanField(default=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    center_latitude = models.FloatField(null=True, blank=True)
    center_longitude = models.FloatField(null=True, blank=True)
    radius_km = models.FloatField(null=True, blank=True, help_text="Service area radius; empty means no limit.")
    area_type = models.CharField(max_length=8, choices=AreaType.choices, default=AreaType.URBAN)
    pairs_with_law_enforcement = models.BooleanField(default=False)
    has_housing_partners = models.BooleanField(default=False)
    clients_per_staff = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def is_open_at(self, local_time) -> bool:
        if self.open_24_7 or self.opens_at is None or self.closes_at is None:
            return True
        if self.opens_at <= self.closes_at:
            return self.opens_at <= local_time < self.closes_at
        return local_time >= self.opens_at or local_time < self.closes_at  # overnight hours

    def covers(self, latitude: float | None, longitude: float | None) -> bool:
        if None in (latitude, longitude, self.center_latitude, self.center_longitude) or not self.radius_km:
            return True
        return great_circle_km(self.center_latitude, self.center_longitude, latitude, longitude) <= self.radius_km


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


class EscalationLevel(models.TextChoices):
    OWNER = "owner", "Owner"
    SUPERVISOR = "supervisor", "Supervisor"


class Escalation(models.Model):
    """A stalled hand-off (a program's `stalled_items`) raised to its owner, then to supervisors.

    Written only by programs.escalations: raised once per stall and level (the unique key makes a re-run or a
    second worker a no-op), acknowledged by whoever it was raised to, resolved when the item is no longer stalled.
    It copies what the alert shows, so it never reads a program's models.
    """

    key = models.CharField(max_length=200)
    level = models.CharField(max_length=12, choices=EscalationLevel.choices)
    kind = models.CharField(max_length=40)
    program = models.CharField(max_length=80)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    due_at = models.DateTimeField()
    owner = models.ForeignKey("crisis.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("responders.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "crisis.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "level"], name="programs_escalation_once")]
        indexes = [
            models.Index(fields=["owner"], condition=models.Q(resolved_at__isnull=True), name="programs_esc_open_owner")
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} escalation: {self.title}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None and self.acknowledged_at is None
