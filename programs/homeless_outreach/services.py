"""Outreach contacts: each contact with a person experiencing homelessness, and what it connected them to."""

from __future__ import annotations

from crisis import audit, permissions
from crisis.errors import InvalidInput

from .living import LivingSituation
from .models import HousingReferral, OutreachContact


def outreach_contact_record(
    *,
    person,
    team,
    by,
    outcome: str = OutreachContact.Outcome.ENGAGED,
    housing_partner: str = "",
    note: str = "",
    call=None,
    living_situation: int | None = None,
    housing_referral_status: str = "",
) -> OutreachContact:
    permissions.require(permissions.may_act_for_team, by, team, "Only the team's members or dispatch may record this.")
    if outcome not in OutreachContact.Outcome.values:
        raise InvalidInput(f"Unknown outcome {outcome!r}.", field="outcome")
    if living_situation is not None and living_situation not in LivingSituation.values:
        raise InvalidInput(f"Unknown living situation {living_situation!r}.", field="living_situation")
    if housing_referral_status and housing_referral_status not in HousingReferral.values:
        raise InvalidInput(f"Unknown referral status {housing_referral_status!r}.", field="housing_referral_status")
    if housing_referral_status and not housing_partner.strip():
        raise InvalidInput("Name the housing partner the referral is with.", field="housing_partner")
    contact = OutreachContact.objects.create(
        person=person,
        team=team,
        call=call,
        outcome=outcome,
        housing_partner=housing_partner.strip()[:120],
        note=note.strip()[:4000],
        living_situation=living_situation,
        housing_referral_status=housing_referral_status,
    )
    audit.record(actor=by, action="homeless_outreach.contact.recorded", obj=contact, person=person.pk, outcome=outcome)
    return contact
