from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

from . import languages
from .validators import name_key, phone_digits


class User(AbstractUser):
    """A person who signs in. Their role is the Django group they belong to."""

    phone = models.CharField(max_length=32, blank=True)
    # Dispatch centres are partitioned by region; events fan out per region.
    region = models.CharField(max_length=40, default="central")

    class Meta:
        permissions = [("view_reports", "Can view supervisor reports")]

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    @property
    def role(self) -> str | None:
        from .roles import ROLE_ORDER

        for name in ROLE_ORDER:
            if name in self.role_names:
                return name
        return None


class Person(models.Model):
    """The person a call is about. May be known by name or only described."""

    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True, help_text="For unidentified people: appearance, clothing.")
    preferred_language = models.CharField(max_length=8, default="en")
    experiencing_homelessness = models.BooleanField(default=False)
    # Safety facts that follow the person across calls (premise/person history).
    known_weapons_access = models.BooleanField(default=False)
    history_of_violence = models.BooleanField(default=False)
    mental_health_history = models.TextField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Search keys, kept by save() from the fields above (a single-row derived fact, whoever writes the row):
    # the name folded to lower case without accents, and the phone's digits (last 10, so +1 and spacing
    # do not matter). Both are indexed so the desk's search stays an index scan.
    name_key = models.CharField(max_length=170, blank=True, db_index=True, editable=False)
    phone_digits = models.CharField(max_length=16, blank=True, db_index=True, editable=False)
    # A merged duplicate stays (calls and records point at it through PROTECT foreign keys until they are
    # moved, and the audit trail names it) but is hidden from search and points at the person kept.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [
            ("view_person_record", "Can view a person's mental-health record"),
            ("search_people", "Can search people by name, date of birth, alias and phone"),
            ("merge_person", "Can merge a duplicate person into another"),
            ("account_disclosures", "Can read a person's accounting of disclosures and record reads"),
        ]
        indexes = [models.Index(fields=["last_name", "first_name"])]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or f"Unidentified person #{self.pk}"

    def save(self, *args, **kwargs):
        self.name_key = name_key(f"{self.first_name} {self.last_name}")
        self.phone_digits = phone_digits(self.phone)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "last_name", "phone"} & set(update_fields):
            kwargs["update_fields"] = set(update_fields) | {"name_key", "phone_digits"}
        super().save(*args, **kwargs)

    def age_on(self, day) -> int | None:
        if not self.date_of_birth:
            return None
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))

    @property
    def preferred_language_name(self) -> str:
        return languages.name(self.preferred_language)

    def is_minor(self, day=None) -> bool:
        age = self.age_on(day or timezone.localdate())
        return age is not None and age < 18


class Alias(models.Model):
    """Another name a person is known by (a street name, a maiden name, a spelling another agency uses)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="aliases")
    name = models.CharField(max_length=160)
    name_key = models.CharField(max_length=170, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "aliases"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = name_key(self.name)
        super().save(*args, **kwargs)


class PersonMerge(models.Model):
    """A supervisor's merge of a duplicate person into the one kept, with the ids of everything moved."""

    keep = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="merged_by")
    by = models.ForeignKey("crisis.User", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    at = models.DateTimeField(default=timezone.now)
    # {"dispatch.call": [ids], "fact.enrollment": [ids], ...}: what pointed at `merged` and now points at `keep`.
    moved = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"person #{self.merged_id} merged into #{self.keep_id}"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("Audit entries cannot be changed.")

    def delete(self):
        raise PermissionDenied("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    """Append-only record of who did or saw what. Written only by crisis.audit.record."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey("crisis.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # The hash chain (crisis/audit_chain.py): record() writes content_hash; the chain fields are appended at
    # commit by a PostgreSQL trigger (migration 0004), or by record() on other databases.
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    chain_seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit entries cannot be deleted.")


class AuditChainHead(models.Model):
    """The last link of the audit hash chain: one row (pk=1), locked only while a transaction commits."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"audit chain head #{self.seq} {self.hash[:12]}"


class IdempotencyKey(models.Model):
    """The first answer to an API write sent with an Idempotency-Key. Written only by crisis.idempotency.

    The row is inserted in the same transaction as the write it guards, so a committed change always has
    its stored answer and a retry (the phone's offline queue, an integration after a timeout) gets that
    answer instead of making the change twice.
    """

    user = models.ForeignKey("crisis.User", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)  # sha256 of the request body (JSON canonicalised)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}] → {self.status_code}"


class ApiToken(models.Model):
    """An API token, kept only as its SHA-256 digest. Written only by crisis.tokens.

    The token is 160 random bits shown once when issued; a digest without salt suffices for a secret that
    long (no dictionary to try) and lets authentication find the row by an index lookup. A token carries
    the role it was issued for: it opens only what that role opens, whatever roles its user gains later
    (crisis.authentication.RoleBackend), and it expires.
    """

    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)  # the first characters, to tell tokens apart in the admin and audit
    user = models.ForeignKey("crisis.User", on_delete=models.CASCADE, related_name="api_tokens")
    role = models.CharField(max_length=50)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.prefix}… {self.user_id} as {self.role}, until {self.expires_at:%Y-%m-%d}"


class PasswordRecord(models.Model):
    """A password a user has had: its hash, when and by whom it was set. Written only by crisis.passwords.

    The newest row is the password in force (its age; whether someone else set it, so the user must change it at
    the next sign-in); the older rows are the history a new password may not repeat (PASSWORD_HISTORY_COUNT).
    """

    user = models.ForeignKey("crisis.User", on_delete=models.CASCADE, related_name="+")
    password = models.CharField(max_length=128)  # the hash, as in User.password
    set_at = models.DateTimeField(default=timezone.now)
    # Set by an administrator (the admin's add or change-password form) rather than by its user: change it first.
    must_change = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["user", "-set_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} password set {self.set_at:%Y-%m-%d}"
