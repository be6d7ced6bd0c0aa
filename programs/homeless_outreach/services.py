"""Outreach contacts (encounters) and consents to share with partner agencies: every write checks the one
permission source and is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from crisis import audit, permissions
from crisis.errors import Conflict, InvalidInput
from programs.community_responders.models import Partner

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
    if housing_referral_status == HousingReferral.SENT:
        _require_consent_to_refer(person=person, by=by, partner=partner, housing_partner=housing_partner)
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


def _require_consent_to_refer(*, person, by, partner, housing_partner: str) -> None:
    """Sending a housing referral shares the person's data with an outside agency: only with their consent to share
    with that agency in force (HUD HMIS privacy standard). The agency must be in the partner directory, where the
    consent is kept per agency; a partner agency's own user referring to their own agency shares nothing new.
    A refusal is audited (who tried to share whose data with whom), then raised: a 409 / a form error."""
    name = housing_partner.strip()
    agency = Partner.objects.filter(name__iexact=name).first() if name else None
    if agency is not None and partner is not None and agency.pk == partner.pk:
        return
    if agency is not None and SharingConsent.objects.in_force(timezone.now()).filter(person=person, partner=agency):
        return
    reason = "not_in_directory" if agency is None else "no_consent"
    audit.record(
        actor=by,
        action="homeless_outreach.housing_referral.refused",
        person=person.pk,
        agency=name[:120],
        partner=agency.pk if agency else None,
        reason=reason,
    )
    if agency is None:
        raise Conflict(
            f"“{name}” is not in the partner directory, so the person's consent to share with it cannot be checked: "
            "choose the agency from the list.",
            field="housing_partner",
        )
    raise Conflict(
        f"No consent to share with {agency.name} is in force for this person: record their consent "
        "(“Consent to share” on the by-name list) before sending the referral.",
        field="housing_partner",
    )


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
