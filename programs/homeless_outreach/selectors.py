"""The by-name list: every person experiencing homelessness the outreach teams know, with their latest contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, OuterRef, Q, Subquery

from crisis import audit, permissions
from crisis.models import Person

from .living import LivingSituation
from .models import HousingReferral, OutreachContact

may_see_by_name_list = permissions.may_see_by_name_list


@dataclass(frozen=True)
class ByNameRow:
    person: Person
    last_contact_at: datetime | None
    last_team: str
    living_situation: int | None
    housing_partner: str
    housing_referral_status: str

    @property
    def living_label(self) -> str:
        return LivingSituation(self.living_situation).label if self.living_situation is not None else ""

    @property
    def referral_label(self) -> str:
        return HousingReferral(self.housing_referral_status).label if self.housing_referral_status else ""


def by_name_list(*, by, limit: int = 500) -> list[ByNameRow]:
    """People flagged as experiencing homelessness or contacted by outreach (merged duplicates left out), the
    never contacted, then longest without contact, first; one query. The read is audited with the ids shown."""
    contacts = OutreachContact.objects.filter(person=OuterRef("pk")).order_by("-at", "-pk")
    referrals = contacts.exclude(housing_partner="")
    situation = contacts.exclude(living_situation=None)
    people = (
        Person.objects.filter(merged_into__isnull=True)
        .filter(Q(experiencing_homelessness=True) | Q(outreach_contacts__isnull=False))
        .distinct()
        .annotate(
            last_at=Subquery(contacts.values("at")[:1]),
            last_team=Subquery(contacts.values("team__name")[:1]),
            situation=Subquery(situation.values("living_situation")[:1]),
            partner=Subquery(referrals.values("housing_partner")[:1]),
            referral=Subquery(referrals.values("housing_referral_status")[:1]),
        )
        .order_by(F("last_at").asc(nulls_first=True), "last_name", "pk")[:limit]
    )
    rows = [
        ByNameRow(
            person=p,
            last_contact_at=p.last_at,
            last_team=p.last_team or "",
            living_situation=p.situation,
            housing_partner=p.partner or "",
            housing_referral_status=p.referral or "",
        )
        for p in people
    ]
    audit.record(actor=by, action="homeless_outreach.by_name_list.viewed", person_ids=[r.person.pk for r in rows])
    return rows
