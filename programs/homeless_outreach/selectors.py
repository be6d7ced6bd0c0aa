"""The by-name list: every person experiencing homelessness the outreach teams know, with their latest contact.

A partner agency's user (police homeless liaison, housing navigator) sees a person named only while the person's
consent to share with that agency is in force (SharingConsent); otherwise a pseudonymous row: a label, the
status, the last contact's date and the general area, nothing identifying (no name, date of birth, photo or
exact location). Decided at each read, so a consent that expires or is revoked hides the person on the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from crisis import audit, permissions
from crisis.models import Person

from .living import LivingSituation
from .models import HousingReferral, OutreachContact, SharingConsent, SharingScope
from .services import partner_of

may_see_by_name_list = permissions.may_see_by_name_list


def label_for(person_id: int) -> str:
    """The pseudonymous label of a person on the by-name list: an id, nothing from the person themselves."""
    return f"BNL-{person_id:05d}"


@dataclass(frozen=True)
class ByNameRow:
    person_id: int
    label: str
    identified: bool  # False: a partner without the person's consent in force sees only the pseudonymous row
    name: str
    date_of_birth: date | None
    last_contact_at: datetime | None
    last_team: str
    living_situation: int | None
    housing_partner: str
    housing_referral_status: str
    area: str
    exact_location: str

    @property
    def name_or_none(self) -> str | None:
        return self.name if self.identified else None

    @property
    def title(self) -> str:
        return self.name if self.identified else self.label

    @property
    def living_label(self) -> str:
        return LivingSituation(self.living_situation).label if self.living_situation is not None else ""

    @property
    def referral_label(self) -> str:
        return HousingReferral(self.housing_referral_status).label if self.housing_referral_status else ""


def consent_scopes(*, partner, person_ids, now: datetime) -> dict[int, str]:
    """{person id: scope} of the consents to share with `partner` in force at `now` (the widest scope wins)."""
    scopes: dict[int, str] = {}
    for person_id, scope in (
        SharingConsent.objects.in_force(now)
        .filter(partner=partner, person_id__in=person_ids)
        .values_list("person_id", "scope")
    ):
        if scopes.get(person_id) != SharingScope.IDENTITY_LOCATION:
            scopes[person_id] = scope
    return scopes


def by_name_list(*, by, limit: int = 500, now: datetime | None = None) -> list[ByNameRow]:
    """People flagged as experiencing homelessness or contacted by outreach (merged duplicates left out), the
    never contacted, then longest without contact, first; two queries. The read is audited with the ids shown
    and, for a partner, which of them named."""
    now = now or timezone.now()
    contacts = OutreachContact.objects.filter(person=OuterRef("pk")).order_by("-at", "-pk")
    referrals = contacts.exclude(housing_partner="")
    situation = contacts.exclude(living_situation=None)
    people = (
        Person.objects.filter(merged_into__isnull=True)
        .filter(Q(experiencing_homelessness=True) | Q(outreach_contacts__isnull=False))
        .distinct()
        .annotate(
            last_at=Subquery(contacts.values("at")[:1]),
            last_team=Subquery(contacts.filter(team__isnull=False).values("team__name")[:1]),
            last_partner=Subquery(contacts.filter(partner__isnull=False).values("partner__name")[:1]),
            last_by_team=Subquery(contacts.values("team_id")[:1]),
            situation=Subquery(situation.values("living_situation")[:1]),
            partner=Subquery(referrals.values("housing_partner")[:1]),
            referral=Subquery(referrals.values("housing_referral_status")[:1]),
            area=Subquery(contacts.exclude(area="").values("area")[:1]),
            spot=Subquery(contacts.exclude(exact_location="").values("exact_location")[:1]),
        )
        .order_by(F("last_at").asc(nulls_first=True), "last_name", "pk")[:limit]
    )
    people = list(people)
    agency = partner_of(by)
    scopes = consent_scopes(partner=agency, person_ids=[p.pk for p in people], now=now) if agency is not None else None
    rows = []
    for p in people:
        scope = scopes.get(p.pk) if scopes is not None else SharingScope.IDENTITY_LOCATION
        named = scope is not None
        rows.append(
            ByNameRow(
                person_id=p.pk,
                label=label_for(p.pk),
                identified=named,
                name=str(p) if named else "",
                date_of_birth=p.date_of_birth if named else None,
                last_contact_at=p.last_at,
                last_team=(p.last_team if p.last_by_team else p.last_partner) or "",
                living_situation=p.situation,
                housing_partner=p.partner or "",
                housing_referral_status=p.referral or "",
                area=p.area or "",
                exact_location=(p.spot or "") if scope == SharingScope.IDENTITY_LOCATION else "",
            )
        )
    detail = {"person_ids": [r.person_id for r in rows]}
    if agency is not None:
        detail |= {"partner": agency.pk, "identified_ids": [r.person_id for r in rows if r.identified]}
    audit.record(actor=by, action="homeless_outreach.by_name_list.viewed", **detail)
    return rows


def subject_for(*, person, by, now: datetime | None = None) -> ByNameRow:
    """How `by` may see `person` on the encounter page (named, or the pseudonymous label); the read is audited."""
    agency = partner_of(by)
    scope = SharingScope.IDENTITY_LOCATION
    if agency is not None:
        scope = consent_scopes(partner=agency, person_ids=[person.pk], now=now or timezone.now()).get(person.pk)
    named = scope is not None
    audit.record(
        actor=by,
        action="homeless_outreach.person.viewed",
        obj=person,
        identified=named,
        partner=agency.pk if agency else None,
    )
    return ByNameRow(
        person_id=person.pk,
        label=label_for(person.pk),
        identified=named,
        name=str(person) if named else "",
        date_of_birth=person.date_of_birth if named else None,
        last_contact_at=None,
        last_team="",
        living_situation=None,
        housing_partner="",
        housing_referral_status="",
        area="",
        exact_location="",
    )


def consents_for(*, person, by) -> list[SharingConsent]:
    """A person's consents to share, newest first, for outreach staff; the read is audited."""
    consents = list(
        SharingConsent.objects.filter(person=person).select_related("partner", "recorded_by").order_by("-granted_at")
    )
    audit.record(actor=by, action="homeless_outreach.sharing_consents.viewed", obj=person, shown=len(consents))
    return consents
