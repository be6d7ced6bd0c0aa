"""Referrals a community responder makes on scene (the closed loop comes with the care work)."""

from __future__ import annotations

from crisis import audit, permissions
from crisis.errors import InvalidInput

from .models import Referral


def referral_create(*, call, by, agency: str, service: str) -> Referral:
    permissions.require(permissions.may_note_call, by, call, "Only the dispatch desk or the call's team may refer.")
    if not agency.strip() or not service.strip():
        raise InvalidInput("Name the agency and the service.", field="agency")
    referral = Referral.objects.create(call=call, agency=agency.strip()[:120], service=service.strip()[:120])
    audit.record(actor=by, action="community_responders.referral.created", obj=referral, call=call.pk)
    return referral
