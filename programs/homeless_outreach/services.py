"""Outreach contacts (encounters) and consents to share with partner agencies: every write checks the one
permission source and is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from crisis import audit, permissions
from crisis.errors import Conflict, InvalidInput

from .living import LivingSituation
from .models import HousingReferral, Offer, OutreachContact, Place, SharingConsent, SharingScope

# A consent to share is for at most a year: the person is asked again (HMIS release of information practice).
CONSENT_LONGEST = timedelta(days=366)


def partner_of(user):
    """The partner agency `user` works for (homeless_outreach.PartnerAgencyUser), or None for staff."""
    if not permissions.is_partner_agency_user.test(user):
        return None
    return user.partner_agency.partner


def outreach_contact_record(
    *,
    person,
    by,
    team=None,
    outcome: str = OutreachContact.Outcome.ENGAGED,
    housing_partner: str = "",
    note: str = "",
    call=None,
    living_situation: int | None = None,
    housing_referral_status: str = "",
    place: str = "",
    area: str = "",
    exact_location: str = "",
    offered: list[str] | tuple[str, ...] = (),
    accepted: list[str] | tuple[str, ...] = (),
) -> OutreachContact:
    """An encounter with a person: by an outreach team (its member or the desk), or by a partner agency's user for
    their agency (no team). Accepted is what of the offered the person took."""
    partner = partner_of(by) if by is not None else None
    if partner is not None:
        if team is not None or call is not None:
            raise InvalidInput("A partner agency records encounters for its own agency, without a team.", field="team")
    else:
        if team is None:
            raise InvalidInput("Choose the team that met the person.", field="team")
        permissions.require(
            permissions.may_act_for_team, by, team, "Only the team's members or dispatch may record this."
        )
    if outcome not in OutreachContact.Outcome.values:
        raise InvalidInput(f"Unknown outcome {outcome!r}.", field="outcome")
    if living_situation is not None and living_situation not in LivingSituation.values:
        raise InvalidInput(f"Unknown living situation {living_situation!r}.", field="living_situation")
    if housing_referral_status and housing_referral_status not in HousingReferral.values:
        raise InvalidInput(f"Unknown referral status {housing_referral_status!r}.", field="housing_referral_status")
    if housing_referral_status and not housing_partner.strip():
        raise InvalidInput("Name the housing partner the referral is with.", field="housing_partner")
    if place and place not in Place.values:
        raise InvalidInput(f"Unknown place {place!r}.", field="place")
    offered, accepted = list(dict.fromkeys(offered)), list(dict.fromkeys(accepted))
    unknown = [o for o in offered + accepted if o not in Offer.values]
    if unknown:
        raise InvalidInput(f"Unknown offer {unknown[0]!r}.", field="offered")
    if set(accepted) - set(offered):
        raise InvalidInput("The person can accept only what was offered.", field="accepted")
    contact = OutreachContact.objects.create(
        person=person,
        team=team,
        partner=partner,
        recorded_by=by,
        call=call,
        outcome=outcome,
        housing_partner=housing_partner.strip()[:120],
        note=note.strip()[:4000],
        living_situation=living_situation,
        housing_referral_status=housing_referral_status,
        place=place,
        area=area.strip()[:120],
        exact_location=exact_location.strip()[:200],
        offered=offered,
        accepted=accepted,
    )
    audit.record(
        actor=by,
        action="homeless_outreach.contact.recorded",
        obj=contact,
        person=person.pk,
        outcome=outcome,
        partner=partner.pk if partner else None,
    )
    return contact


def sharing_consent_record(
    *,
    person,
    partner,
    by,
    expires_at: datetime,
    scope: str = SharingScope.IDENTITY,
    document: str = "",
) -> SharingConsent:
    """The person consents to share with `partner` until `expires_at` (outreach staff record it, audited)."""
    permissions.require(
        permissions.may_keep_sharing_consent, by, person, "Only outreach staff record a consent to share."
    )
    if scope not in SharingScope.values:
        raise InvalidInput(f"Unknown scope {scope!r}.", field="scope")
    if not partner.active:
        raise InvalidInput(f"{partner.name} is no longer an active partner agency.", field="partner")
    now = timezone.now()
    if expires_at <= now:
        raise InvalidInput("The consent must expire in the future.", field="expires_at")
    if expires_at > now + CONSENT_LONGEST:
        raise InvalidInput("A consent to share lasts at most a year; ask the person again then.", field="expires_at")
    consent = SharingConsent.objects.create(
        person=person,
        partner=partner,
        scope=scope,
        granted_at=now,
        expires_at=expires_at,
        recorded_by=by,
        document=document.strip()[:200],
    )
    audit.record(
        actor=by,
        action="homeless_outreach.sharing_consent.recorded",
        obj=consent,
        person=person.pk,
        partner=partner.pk,
        scope=scope,
        expires_at=expires_at.isoformat(),
    )
    return consent


def sharing_consent_revoke(*, consent: SharingConsent, by, reason: str = "") -> SharingConsent:
    """The person withdraws the consent: the partner sees them pseudonymously from the next read on."""
    permissions.require(
        permissions.may_keep_sharing_consent, by, consent.person, "Only outreach staff revoke a consent to share."
    )
    now = timezone.now()
    with transaction.atomic():
        updated = SharingConsent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=by
        )
        if not updated:
            raise Conflict("This consent is already revoked.")
        consent.refresh_from_db()
        audit.record(
            actor=by,
            action="homeless_outreach.sharing_consent.revoked",
            obj=consent,
            person=consent.person_id,
            partner=consent.partner_id,
            reason=reason.strip()[:500],
        )
    return consent
