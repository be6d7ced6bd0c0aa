from django.conf import settings
from django.db import models
from django.utils import timezone

from .living import LivingSituation


class HousingReferral(models.TextChoices):
    SENT = "sent", "Referred, waiting"
    ACCEPTED = "accepted", "Accepted by the partner"
    DECLINED = "declined", "Declined by the partner"
    HOUSED = "housed", "Housed"


class Place(models.TextChoices):
    ENCAMPMENT = "encampment", "Encampment"
    STREET = "street", "Street"
    SHELTER = "shelter", "Shelter"
    VEHICLE = "vehicle", "Vehicle"
    OTHER = "other", "Somewhere else"


class Offer(models.TextChoices):
    FOOD = "food", "Food or water"
    HYGIENE = "hygiene", "Hygiene kit, clothes, blankets"
    SHELTER_BED = "shelter_bed", "A shelter bed"
    HOUSING = "housing", "Housing assessment or referral"
    HEALTH = "health", "Medical care"
    MENTAL_HEALTH = "mental_health", "Mental-health care"
    SUBSTANCE_USE = "substance_use", "Substance-use treatment"
    DOCUMENTS = "documents", "ID documents or benefits"
    TRANSPORT = "transport", "A ride"


class OutreachContact(models.Model):
    """A contact with a person experiencing homelessness, and what it connected them to."""

    class Outcome(models.TextChoices):
        ENGAGED = "engaged", "Engaged, no referral yet"
        SHELTER = "shelter", "Connected to shelter"
        HOUSING = "housing", "Housing application or placement"
        SERVICES = "services", "Connected to health or benefits services"
        DECLINED = "declined", "Declined services"

    person = models.ForeignKey("crisis.Person", on_delete=models.PROTECT, related_name="outreach_contacts")
    # Who met the person: an outreach team, or a partner agency's user (police homeless liaison, housing navigator).
    team = models.ForeignKey(
        "responders.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="outreach_contacts"
    )
    partner = models.ForeignKey(
        "community_responders.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Where the encounter happened: the kind of place, a general area anyone on the list may see, and the exact
    # spot (only the outreach teams and partners with the person's consent to share their location).
    place = models.CharField(max_length=12, choices=Place.choices, blank=True)
    area = models.CharField(max_length=120, blank=True, help_text="General area, e.g. Union Park, Lower Wacker.")
    exact_location = models.CharField(max_length=200, blank=True)
    # What was offered and what the person accepted (Offer values; accepted is a subset of offered).
    offered = models.JSONField(default=list, blank=True)
    accepted = models.JSONField(default=list, blank=True)
    call = models.ForeignKey("dispatch.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.ENGAGED)
    housing_partner = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)
    # Where the person is living now (HUD HMIS 4.12), as the worker saw it at this contact.
    living_situation = models.PositiveSmallIntegerField(choices=LivingSituation.choices, null=True, blank=True)
    # The referral to `housing_partner` as it stands at this contact; the by-name list shows the latest.
    housing_referral_status = models.CharField(max_length=12, choices=HousingReferral.choices, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=False) | models.Q(partner__isnull=False),
                name="outreach_contact_by_team_or_partner",
            )
        ]

    @property
    def met_by(self) -> str:
        return self.team.name if self.team_id else (self.partner.name if self.partner_id else "")


class PartnerAgencyUser(models.Model):
    """A partner agency's staff member on the platform (police homeless liaison, housing navigator).

    Their role (crisis/roles.py) says what they may do; this row says for which agency of the partner directory.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_agency")
    partner = models.ForeignKey("community_responders.Partner", on_delete=models.PROTECT, related_name="+")

    class Meta:
        permissions = [
            ("work_for_partner", "Work the by-name list for a partner agency (what consent allows)"),
            ("keep_sharing_consent", "Record and revoke a person's consent to share with a partner agency"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.partner})"


class SharingScope(models.TextChoices):
    # What a partner agency sees named, on the by-name list and an encounter, while the consent is in force.
    IDENTITY = "identity", "Name, date of birth and photo"
    IDENTITY_LOCATION = "identity_location", "Name, date of birth, photo and exact location"


class SharingConsentQuerySet(models.QuerySet):
    def in_force(self, now):
        return self.filter(revoked_at__isnull=True, granted_at__lte=now, expires_at__gt=now)


class SharingConsent(models.Model):
    """A person's consent to share their identity with one partner agency, until it expires or is revoked.

    Written only by homeless_outreach.services (recorded by outreach staff, audited); without one in force the
    agency's users see the person only as a pseudonymous row (HUD HMIS privacy standard: no identifying data
    without consent)."""

    person = models.ForeignKey("crisis.Person", on_delete=models.PROTECT, related_name="sharing_consents")
    partner = models.ForeignKey("community_responders.Partner", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=20, choices=SharingScope.choices, default=SharingScope.IDENTITY)
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    document = models.CharField(max_length=200, blank=True, help_text="Where the signed form is kept.")

    objects = SharingConsentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")), name="sharing_consent_expires_after_grant"
            )
        ]
        indexes = [models.Index(fields=["partner", "person", "expires_at"])]

    def __str__(self) -> str:
        return f"Consent of person #{self.person_id} to share with {self.partner}"

    def in_force_at(self, now) -> bool:
        return self.revoked_at is None and self.granted_at <= now < self.expires_at
