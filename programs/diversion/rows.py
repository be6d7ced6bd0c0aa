"""The one row an event and the console's snapshot carry for a diversion, and the group it goes to."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from .models import Diversion, DiversionStatus

# Every diversion clinician's console listens here (the queue is shared: first one takes the call).
DIVERSION_GROUP = "diversion"

ROW_KEYS = frozenset(
    {
        "id",
        "cad_incident_id",
        "call_id",
        "status",
        "status_label",
        "nature",
        "address",
        "caller_name",
        "callback_number",
        "transferred_at",
        "clinician",
        "taken_at",
        "ended_at",
        "tier",
        "url",
        "version",
    }
)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def diversion_row(d: Diversion) -> dict[str, Any]:
    call = d.call
    clinician = d.clinician
    return {
        "id": d.pk,
        "cad_incident_id": d.cad_incident_id,
        "call_id": d.call_id,
        "status": d.status,
        "status_label": DiversionStatus(d.status).label,
        "nature": call.nature,
        "address": call.address,
        "caller_name": call.caller_name,
        "callback_number": call.callback_number,
        "transferred_at": _iso(d.transferred_at),
        "clinician": {"id": clinician.pk, "name": clinician.get_full_name() or clinician.get_username()}
        if clinician
        else None,
        "taken_at": _iso(d.taken_at),
        "ended_at": _iso(d.ended_at),
        "tier": d.tier,
        "url": reverse("programs:diversion:detail", args=[d.pk]),
        "version": d.version,
    }
