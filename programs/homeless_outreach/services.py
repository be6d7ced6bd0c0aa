"""Outreach contacts: each contact with a person experiencing homelessness, and what it connected them to."""

from __future__ import annotations

from crisis import audit, permissions
from crisis.errors import InvalidInput

from .models import OutreachContact


def outreach_contact_record(
    *,
    person,
    team,
    by,
    outcome: str = OutreachContact.Outcome.ENGAGED,
    housing_partner: str = "",
    note: str = "",
    call=None,
) -> OutreachContact:
    permissions.require(permissions.may_act_for_team, by, team, "Only the team's members or dispatch may record this.")
    if outcome not in OutreachContact.Outcome.values:
        raise InvalidInput(f"Unknown outcome {outcome!r}.", field="outcome")
    contact = OutreachContact.objects.create(
        person=person,
        team=team,
        call=call,
        outcome=outcome,
        housing_partner=housing_partner.strip()[:120],
        note=note.strip()[:4000],
    )
    audit.record(actor=by, action="homeless_outreach.contact.recorded", obj=contact, person=person.pk, outcome=outcome)
    return contact
