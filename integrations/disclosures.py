"""Accounting of disclosures: every record about a person that leaves the platform is one audit row.

HIPAA (45 CFR 164.528) gives a person the right to an accounting of disclosures of their health information:
to whom, when, why and what. Each sender here (a webhook delivered, an EIDO export, a FHIR read by a partner,
an HMIS export) writes it through the one audit door with the same shape, which the per-person view reads.
"""

from __future__ import annotations

from crisis import audit
from crisis.models import User


def recipient_name(*, partner=None, user: User | None = None) -> str:
    if partner is not None:
        return partner.name
    if user is not None and getattr(user, "partner_system", None) is not None:
        return user.partner_system.name
    return f"user:{user.get_username()}" if user is not None else "unknown"


def record(
    *,
    actor: User | None,
    kind: str,
    person,
    records: list[str],
    partner=None,
    purpose: str = "",
    about=None,
    recipient: str = "",
) -> None:
    """`kind`: webhook, eido, fhir, hmis. The row is about `person`; when the record names nobody the platform
    knows as a person (a caller), about the record sent (`about`); with neither, nothing identifiable left."""
    obj = person if person is not None else about
    if obj is None:
        return
    partner = partner or getattr(actor, "partner_system", None)
    audit.record(
        actor=actor,
        action=f"disclosure.{kind}",
        obj=obj,
        recipient=recipient or recipient_name(partner=partner, user=actor),
        purpose=purpose or (partner.purpose if partner is not None else "Care coordination"),
        records=records,
    )
