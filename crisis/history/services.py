"""Every read and write of a person's history: consent-scoped, purpose-stated, one audit row each.

HIPAA's minimum-necessary rule and 42 CFR Part 2 decide the tiers (see models.py). A search or a view
without a stated purpose is refused; a view is exactly one audit row, `history.person.viewed`, or
`history.person.break_glass` when clinical history was opened without consent, which also alerts the
supervisors at once through the realtime door (group `oversight`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crisis import audit, permissions, realtime
from crisis.errors import InvalidInput, InvalidTransition
from crisis.models import AuditEntry, Person, User

from .models import ClinicalRecord, Consent, ConsentScope, Part2Record, ResponsePlan

SEARCH_LIMIT = 20
PURPOSE_MIN, PURPOSE_MAX = 5, 300
REASON_MIN, REASON_MAX = 10, 500
TEXT_MAX = 4000

SEARCHED = "history.person.searched"
VIEWED = "history.person.viewed"
BREAK_GLASS = "history.person.break_glass"

# 42 CFR 2.32(a)(1): the notice that must accompany each disclosure made with the patient's written consent.
REDISCLOSURE_NOTICE = (
    "This information has been disclosed to you from records protected by federal confidentiality rules "
    "(42 CFR part 2). The federal rules prohibit you from making any further disclosure of information in this "
    "record that identifies a patient as having or having had a substance use disorder either directly, by "
    "reference to publicly available information, or through verification of such identification by another "
    "person unless further disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed or as otherwise permitted by 42 CFR part 2. A general authorization for the "
    "release of medical or other information is NOT sufficient for this purpose (see § 2.31). The federal rules "
    "restrict any use of the information to investigate or prosecute with regard to a crime any patient with a "
    "substance use disorder, except as provided at §§ 2.12(c)(5) and 2.65."
)


def _clean(value: str, *, name: str, low: int, high: int, what: str) -> str:
    text = " ".join((value or "").split())
    if "\x00" in text:
        raise InvalidInput(f"The {what} contains a character that is not allowed.", field=name)
    if len(text) < low:
        raise InvalidInput(f"State the {what} (at least {low} characters).", field=name)
    if len(text) > high:
        raise InvalidInput(f"The {what} is too long (at most {high} characters).", field=name)
    return text


def clean_purpose(purpose: str) -> str:
    return _clean(purpose, name="purpose", low=PURPOSE_MIN, high=PURPOSE_MAX, what="purpose of this lookup")


def history_search(*, by: User, purpose: str, name: str = "", date_of_birth: date | None = None) -> list[Person]:
    """People matching every word of `name` (first or last name) and the date of birth; audited with the purpose."""
    permissions.require(permissions.may_search_history, by, None, "Your role may not search people's history.")
    purpose = clean_purpose(purpose)
    words = " ".join((name or "").split())
    if "\x00" in words or len(words) > 160:
        raise InvalidInput("Give a name of at most 160 characters.", field="name")
    if not words and date_of_birth is None:
        raise InvalidInput("Give a name or a date of birth to search for.", field="name")
    people = Person.objects.all()
    for word in words.split():
        people = people.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    if date_of_birth is not None:
        people = people.filter(date_of_birth=date_of_birth)
    found = list(people.select_related("response_plan").order_by("last_name", "first_name", "pk")[:SEARCH_LIMIT])
    audit.record(
        actor=by,
        action=SEARCHED,
        purpose=purpose,
        name=words,
        date_of_birth=date_of_birth.isoformat() if date_of_birth else None,
        results=[p.pk for p in found],
    )
    return found


@dataclass
class PersonHistory:
    """What one view may show. A section that is None was not shown; `locked` says why."""

    person: Person
    plan: ResponsePlan | None
    clinical: list[ClinicalRecord] | None = None
    clinical_note: str = ""
    clinical_basis: str = ""  # "consent" or "break_glass"
    part2: list[Part2Record] | None = None
    part2_notice: str = ""
    consents: set[str] = field(default_factory=set)
    locked: dict[str, str] = field(default_factory=dict)

    @property
    def sections(self) -> list[str]:
        shown = ["response_plan"] if self.plan else []
        if self.clinical is not None:
            shown.append("clinical_history")
        if self.part2 is not None:
            shown.append("part2")
        return shown


def history_view(*, person: Person, by: User, purpose: str, break_glass_reason: str = "") -> PersonHistory:
    """One view of a person's history. Clinical history needs consent or a break-the-glass reason; Part 2, consent."""
    permissions.require(permissions.may_search_history, by, person, "Your role may not read people's history.")
    purpose = clean_purpose(purpose)
    reason = (break_glass_reason or "").strip()
    consents = set(Consent.objects.in_force().filter(person=person).values_list("scope", flat=True))
    plan = ResponsePlan.objects.filter(person=person).first()
    view = PersonHistory(person=person, plan=plan, consents=consents)

    if ConsentScope.CLINICAL_HISTORY in consents:
        view.clinical_basis = "consent"
    elif reason:
        permissions.require(permissions.may_break_glass, by, person, "Your role may not break the glass.")
        reason = _clean(reason, name="reason", low=REASON_MIN, high=REASON_MAX, what="reason to break the glass")
        view.clinical_basis = "break_glass"
    else:
        view.locked["clinical_history"] = "No consent on file: break the glass, stating why, to open it."
    if view.clinical_basis:
        view.clinical = list(ClinicalRecord.objects.filter(person=person))
        view.clinical_note = person.mental_health_history

    # Part 2 records need the person's written Part 2 consent: never opened by break-the-glass.
    # Interns never see them, consent or not (permissions.may_see_part2).
    may_see_part2 = permissions.may_see_part2.test(by) if by is not None else True
    if ConsentScope.PART2 in consents and may_see_part2:
        view.part2 = list(Part2Record.objects.filter(person=person))
        view.part2_notice = REDISCLOSURE_NOTICE
    elif not may_see_part2 and Part2Record.objects.filter(person=person).exists():
        view.locked["part2"] = "Held apart under 42 CFR Part 2: not shown to interns or to your role."
    elif Part2Record.objects.filter(person=person).exists():
        view.locked["part2"] = "Held apart under 42 CFR Part 2: shown only with the person's written Part 2 consent."

    with transaction.atomic():
        if view.clinical_basis == "break_glass":
            entry = audit.record(
                actor=by, action=BREAK_GLASS, obj=person, purpose=purpose, reason=reason, shown=view.sections
            )
            realtime.publish("history.break_glass", break_glass_row(entry), groups=[realtime.OVERSIGHT_GROUP])
        else:
            audit.record(actor=by, action=VIEWED, obj=person, purpose=purpose, shown=view.sections)
    return view


def break_glass_row(entry: AuditEntry) -> dict:
    """The supervisors' alert for one break-the-glass view (the event and the consult snapshot share it)."""
    person = Person.objects.filter(pk=entry.object_id).first()
    return {
        "id": entry.pk,
        "at": entry.at.isoformat(),
        "by": entry.actor_label,
        "person_id": int(entry.object_id),
        "person": str(person) if person else "",
        "purpose": entry.detail.get("purpose", ""),
        "reason": entry.detail.get("reason", ""),
    }


def break_glass_recent(*, hours: int = 24) -> list[dict]:
    since = timezone.now() - timedelta(hours=hours)
    entries = AuditEntry.objects.filter(action=BREAK_GLASS, at__gte=since).order_by("at", "id")
    return [break_glass_row(e) for e in entries]


def response_plan_save(
    *, person: Person, by: User | None, triggers: str, what_helps: str, who_to_call: str, officer_view: bool
) -> ResponsePlan:
    """Write the person's crisis response plan; the clinician decides whether officers see its officer view."""
    permissions.require(permissions.may_edit_response_plan, by, person, "Only a clinician may write a response plan.")
    values = {}
    for name, value in (("triggers", triggers), ("what_helps", what_helps), ("who_to_call", who_to_call)):
        value = (value or "").strip()
        if "\x00" in value or len(value) > TEXT_MAX:
            raise InvalidInput(f"At most {TEXT_MAX} characters, without NUL characters.", field=name)
        values[name] = value
    with transaction.atomic():
        plan, created = ResponsePlan.objects.select_for_update().get_or_create(person=person, defaults=values)
        changed = [k for k, v in values.items() if getattr(plan, k) != v]
        for key, value in values.items():
            setattr(plan, key, value)
        if plan.officer_view != bool(officer_view):
            changed.append("officer_view")
        plan.officer_view = bool(officer_view)
        plan.updated_at = timezone.now()
        plan.updated_by = by
        plan.save()
        audit.record(
            actor=by,
            action="history.response_plan.saved",
            obj=plan,
            person=person.pk,
            created=created,
            changed=sorted(changed),
            officer_view=plan.officer_view,
        )
    return plan


def consent_record(
    *,
    person: Person,
    scope: str,
    by: User | None,
    granted_on: date | None = None,
    expires_on: date | None = None,
    document: str = "",
) -> Consent:
    permissions.require(permissions.may_edit_response_plan, by, person, "Only a clinician may record a consent.")
    if scope not in ConsentScope.values:
        raise InvalidInput(f"Unknown consent scope {scope!r}.", field="scope")
    granted_on = granted_on or timezone.localdate()
    if expires_on is not None and expires_on < granted_on:
        raise InvalidInput("A consent cannot expire before it was given.", field="expires_on")
    with transaction.atomic():
        consent = Consent.objects.create(
            person=person,
            scope=scope,
            granted_on=granted_on,
            expires_on=expires_on,
            recorded_by=by,
            document=(document or "").strip()[:200],
        )
        audit.record(actor=by, action="history.consent.recorded", obj=consent, person=person.pk, scope=scope)
    return consent


def consent_revoke(*, consent: Consent, by: User | None) -> Consent:
    permissions.require(permissions.may_edit_response_plan, by, consent.person, "Only a clinician may do this.")
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.revoked_at is not None:
            raise InvalidTransition("This consent is already revoked.")
        consent.revoked_at = timezone.now()
        consent.save(update_fields=["revoked_at"])
        audit.record(actor=by, action="history.consent.revoked", obj=consent, person=consent.person_id)
    return consent
