"""NENA EIDO (NENA-STA-021.1a, JSON): a 911 CAD's incident in as a call, any call out as an EIDO document.

Validated both ways against the schema in integrations/schemas/ (vendored for the tests under
tests/fixtures/eido/; written from the standard's data dictionary, see its description). What the platform
keeps of an incident, and so what a round trip returns unchanged (`kept`), is: the tracking identifier, the
incident type (registry text and internal text, the call's nature), the incident location (type, address text,
the point in the PIDF-LO), the caller (roles, full name, tel: callback), the notes in order, and the agencies
(roles, types, name). Everything else in an incoming document is read, validated and not stored.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from crisis import permissions
from crisis.errors import InvalidInput
from crisis.models import User
from dispatch import services as dispatch
from dispatch.models import Call, CallEvent, CallType, Source

from . import disclosures
from .models import CadIncident

MEDIA_TYPE = "application/emergencycalldata.eido+json"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "eido-1.0.schema.json"
NOTE_MAX = 2000

# incidentTypeCommonRegistryText → the call's type: the first keyword found wins (the registry's texts are
# free-form across CADs; the original text is kept on the CadIncident and sent back unchanged).
CALL_TYPE_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("suicid", CallType.SUICIDAL),
    ("overdose", CallType.SUBSTANCE_USE),
    ("intox", CallType.SUBSTANCE_USE),
    ("substance", CallType.SUBSTANCE_USE),
    ("welfare", CallType.WELFARE_CHECK),
    ("homeless", CallType.HOMELESSNESS),
    ("domestic", CallType.FAMILY_CONFLICT),
    ("family", CallType.FAMILY_CONFLICT),
    ("disturb", CallType.SOCIAL_DISTURBANCE),
    ("mental", CallType.MENTAL_HEALTH),
    ("behavioral", CallType.MENTAL_HEALTH),
    ("psych", CallType.MENTAL_HEALTH),
)
# The call's type as incident type registry text, for calls that did not come from a CAD.
REGISTRY_TEXT_FOR_CALL_TYPE = {
    CallType.MENTAL_HEALTH: "Behavioral Health",
    CallType.SUICIDAL: "Suicide Threat",
    CallType.WELFARE_CHECK: "Welfare Check",
    CallType.SUBSTANCE_USE: "Overdose / Intoxication",
    CallType.SOCIAL_DISTURBANCE: "Disturbance",
    CallType.HOMELESSNESS: "Homeless Assistance",
    CallType.FAMILY_CONFLICT: "Domestic Disturbance",
    CallType.OTHER: "Other",
}
# The call's status as incident status registry text; the exact status is sent as incidentStatusInternalText.
STATUS_TEXT = {
    "received": "Received",
    "triaged": "Pending",
    "awaiting_team": "Pending",
    "assigned": "Dispatched",
    "en_route": "Enroute",
    "on_scene": "OnScene",
    "transporting": "Transporting",
    "resolved_by_phone": "Closed",
    "closed": "Closed",
    "cancelled": "Cancelled",
}
_GML = "http://www.opengis.net/gml"


@functools.cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def _path(error: jsonschema.ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    if error.validator == "required":
        match = re.match(r"'([^']+)' is a required property", error.message)
        if match:
            out = f"{out}.{match.group(1)}" if out else match.group(1)
    return out or "document"


def validate(document: Any) -> None:
    """Refuse a document that is not EIDO with an InvalidInput naming the first field at fault."""
    if not isinstance(document, dict):
        raise InvalidInput("An EIDO document is a JSON object.", field="document")
    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        field = _path(error)
        raise InvalidInput(f"{field}: {error.message[:300]}", field=field)


# --- PIDF-LO: the point only --------------------------------------------------------------------------------


def pidf_point(latitude: float, longitude: float, entity: str) -> str:
    return (
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" '
        f'xmlns:gml="{_GML}" entity="{entity}"><tuple id="location"><status><gp:geopriv><gp:location-info>'
        f'<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>{latitude!r} {longitude!r}</gml:pos></gml:Point>'
        "</gp:location-info></gp:geopriv></status></tuple></presence>"
    )


def parse_pidf_point(text: str, field: str) -> tuple[float, float] | None:
    """The first gml:pos of a PIDF-LO, or None when it has none. No DTDs: an entity could expand without end."""
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise InvalidInput(f"{field}: a DOCTYPE or entity is not allowed in PIDF-LO.", field=field)
    try:
        root = ET.fromstring(text)  # noqa: S314 (no DTD allowed, checked above)
    except ET.ParseError as exc:
        raise InvalidInput(f"{field}: not well-formed XML ({exc}).", field=field) from exc
    pos = root.find(f".//{{{_GML}}}pos")
    if pos is None or not (pos.text or "").strip():
        return None
    try:
        lat, lon = (float(v) for v in pos.text.split())
    except ValueError as exc:
        raise InvalidInput(f"{field}: gml:pos must be two numbers, latitude then longitude.", field=field) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(f"{field}: gml:pos is not a latitude/longitude.", field=field)
    return lat, lon


# --- reading ------------------------------------------------------------------------------------------------


def _index(document: dict, component: str) -> dict[str, tuple[int, dict]]:
    return {c["$id"]: (i, c) for i, c in enumerate(document.get(component) or [])}


def _resolve(document: dict, component: str, refs: list[dict] | None, field: str) -> list[tuple[int, dict]]:
    index = _index(document, component)
    out = []
    for n, ref in enumerate(refs or []):
        if ref["$ref"] not in index:
            raise InvalidInput(f"{field}[{n}]: no {component} has $id {ref['$ref']!r}.", field=f"{field}[{n}]")
        out.append(index[ref["$ref"]])
    return out


def _jcard_name(jcard: Any) -> str:
    try:
        for prop in jcard[1]:
            if prop[0] == "fn":
                return str(prop[3])
    except (IndexError, TypeError, KeyError):
        pass
    return ""


def kept(document: dict) -> dict[str, Any]:
    """What the platform keeps of a valid EIDO document: the round trip's contract (see the module's doc)."""
    incident = document["incidentComponent"]
    locations = _resolve(document, "locationComponent", incident.get("locationReference"), "incident.locationReference")
    if not locations and document.get("locationComponent"):
        locations = [(0, document["locationComponent"][0])]
    location: dict[str, Any] = {}
    if locations:
        i, loc = locations[0]
        field = f"locationComponent[{i}]"
        point = None
        if loc.get("locationByValue"):
            point = parse_pidf_point(loc["locationByValue"], f"{field}.locationByValue")
        location = {
            "type": loc["locationTypeDescriptionRegistryText"],
            "address": (loc.get("locationDescriptionText") or "").strip(),
            "point": list(point) if point else None,
        }
    caller: dict[str, Any] = {}
    callbacks = _index(document, "callbackComponent")
    for i, person in enumerate(document.get("personComponent") or []):
        if "Caller" not in person["personIncidentRoleRegistryText"]:
            continue
        name = ((person.get("ncPersonComponent") or {}).get("nc:PersonName") or {}).get("nc:PersonFullName", "")
        number = ""
        ref = person.get("callbackReference")
        if ref:
            if ref["$ref"] not in callbacks:
                field = f"personComponent[{i}].callbackReference"
                raise InvalidInput(f"{field}: no callbackComponent has $id {ref['$ref']!r}.", field=field)
            uris = callbacks[ref["$ref"]][1].get("callBackInformationUri") or []
            number = next((u[4:] for u in uris if u.startswith("tel:")), "")
        caller = {"roles": list(person["personIncidentRoleRegistryText"]), "name": name.strip(), "callback": number}
        break
    notes = [n["notesActionComments"].strip() for n in document.get("notesComponent") or []]
    agencies = [
        {
            "roles": list(a["agencyRoleDescriptionRegistryText"]),
            "types": list(a["agencyType"]),
            "name": _jcard_name(a.get("agencyJcard")),
        }
        for a in document.get("agencyComponent") or []
    ]
    return {
        "incident_id": incident["incidentTrackingIdentifier"],
        "incident_type": incident["incidentTypeCommonRegistryText"],
        "nature": (incident.get("incidentTypeInternalText") or incident["incidentTypeCommonRegistryText"]).strip(),
        "location": location,
        "caller": caller,
        "notes": notes,
        "agencies": agencies,
    }


def call_type_for(registry_text: str) -> str:
    low = registry_text.lower()
    return next((call_type for word, call_type in CALL_TYPE_KEYWORDS if word in low), CallType.OTHER)


def _check_lengths(facts: dict[str, Any]) -> None:
    def refuse(field: str, limit: int) -> None:
        raise InvalidInput(f"{field}: at most {limit} characters here.", field=field)

    if len(facts["nature"]) > 200:
        refuse("incidentComponent.incidentTypeInternalText", 200)
    if not facts["location"] or not facts["location"]["address"]:
        field = "locationComponent"
        raise InvalidInput(f"{field}: the incident needs a location with locationDescriptionText.", field=field)
    if len(facts["location"]["address"]) > 255:
        refuse("locationComponent.locationDescriptionText", 255)
    if len(facts["caller"].get("name", "")) > 120:
        refuse("personComponent.ncPersonComponent.nc:PersonName.nc:PersonFullName", 120)
    if len(facts["caller"].get("callback", "")) > 32:
        refuse("callbackComponent.callBackInformationUri", 32)
    for i, note in enumerate(facts["notes"]):
        if not note or len(note) > NOTE_MAX:
            refuse(f"notesComponent[{i}].notesActionComments", NOTE_MAX)


def incident_import(*, document: Any, by: User | None) -> tuple[Call, bool]:
    """Create a call from a CAD's EIDO document; the same incident again returns its call. (call, created)."""
    permissions.require(permissions.may_exchange_eido, by, None, "Your role may not import 911 incidents.")
    validate(document)
    facts = kept(document)
    _check_lengths(facts)
    existing = CadIncident.objects.filter(incident_id=facts["incident_id"]).select_related("call").first()
    if existing is not None:
        return existing.call, False
    partner = getattr(by, "partner_system", None) if by is not None else None
    point = facts["location"]["point"]
    try:
        with transaction.atomic():
            call = dispatch.call_create(
                by=by,
                source=Source.TRANSFER_911,
                caller_name=facts["caller"].get("name", ""),
                callback_number=facts["caller"].get("callback", ""),
                address=facts["location"]["address"],
                latitude=point[0] if point else None,
                longitude=point[1] if point else None,
                call_type=call_type_for(facts["incident_type"]),
                nature=facts["nature"],
            )
            for note in facts["notes"]:
                dispatch.call_add_note(call=call, by=by, text=note)
            CadIncident.objects.create(
                incident_id=facts["incident_id"],
                call=call,
                partner=partner,
                incident_type=facts["incident_type"],
                location_type=facts["location"]["type"],
                caller_roles=facts["caller"].get("roles", []),
                agencies=facts["agencies"],
                imported_by=by,
            )
    except IntegrityError:
        # Two deliveries of the same incident at once: the other one made the call.
        existing = CadIncident.objects.filter(incident_id=facts["incident_id"]).select_related("call").first()
        if existing is None:
            raise
        return existing.call, False
    return call, True


# --- writing ------------------------------------------------------------------------------------------------


def export_call(call: Call) -> dict[str, Any]:
    """The call as an EIDO document (valid against the schema: checked here, so a bug is never sent)."""
    now = timezone.now().isoformat()
    cad = CadIncident.objects.filter(call=call).first()
    pk = call.pk
    notes = list(
        CallEvent.objects.filter(call=call, kind="call.note").order_by("at", "id").values_list("detail", flat=True)
    )
    note_texts = ([call.narrative.strip()] if call.narrative.strip() else []) + [
        d.get("text", "") for d in notes if d.get("text")
    ]
    message_id = f"urn:uuid:{uuid.uuid4()}"
    incident: dict[str, Any] = {
        "$id": f"incident-{pk}",
        "lastUpdateTimeStamp": call.status_changed_at.isoformat(),
        "incidentTrackingIdentifier": cad.incident_id if cad else f"{settings.EIDO_SYSTEM_ID}:call:{pk}",
        "internalIncidentId": str(pk),
        "incidentTypeCommonRegistryText": cad.incident_type if cad else REGISTRY_TEXT_FOR_CALL_TYPE[call.call_type],
        "incidentTypeInternalText": call.nature,
        "incidentStatusCommonRegistryText": [STATUS_TEXT[call.status]],
        "incidentStatusInternalText": [call.status],
        "locationReference": [{"$ref": f"location-{pk}"}],
    }
    if call.priority is not None:
        incident["incidentCommonPriorityNumber"] = call.priority
    location: dict[str, Any] = {
        "$id": f"location-{pk}",
        "locationTypeDescriptionRegistryText": (cad.location_type if cad else "") or "CurrentIncident",
        "locationDescriptionText": call.address,
    }
    if call.latitude is not None and call.longitude is not None:
        location["locationByValue"] = pidf_point(call.latitude, call.longitude, f"pres:call-{pk}@crisis")
    document: dict[str, Any] = {
        "$id": message_id,
        "eidoMessageIdentifier": message_id,
        "lastUpdateTimeStamp": now,
        "sendingSystemIdentifier": settings.EIDO_SYSTEM_ID,
        "messageKind": "Update" if cad else "Report",
        "incidentComponent": incident,
        "locationComponent": [location],
    }
    if call.caller_name or call.callback_number:
        person: dict[str, Any] = {
            "$id": f"caller-{pk}",
            "personIncidentRoleRegistryText": (cad.caller_roles if cad and cad.caller_roles else ["Caller"]),
            "ncPersonComponent": {"nc:PersonName": {"nc:PersonFullName": call.caller_name}},
        }
        if call.callback_number:
            person["callbackReference"] = {"$ref": f"callback-{pk}"}
            document["callbackComponent"] = [
                {"$id": f"callback-{pk}", "callBackInformationUri": [f"tel:{call.callback_number}"]}
            ]
        document["personComponent"] = [person]
        incident["personReference"] = [{"$ref": f"caller-{pk}"}]
    if note_texts:
        document["notesComponent"] = [
            {"$id": f"note-{pk}-{i}", "notesActionComments": text} for i, text in enumerate(note_texts)
        ]
        incident["notesReference"] = [{"$ref": f"note-{pk}-{i}"} for i in range(len(note_texts))]
    agencies = cad.agencies if cad else [{"roles": ["Responding"], "types": ["mental_health"], "name": ""}]
    document["agencyComponent"] = [
        {
            "$id": f"agency-{pk}-{i}",
            "agencyRoleDescriptionRegistryText": a["roles"],
            "agencyType": a["types"],
            **(
                {"agencyJcard": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", a["name"]]]]}
                if a["name"]
                else {}
            ),
        }
        for i, a in enumerate(agencies)
    ]
    validate(document)
    return document


def call_export(*, call: Call, by: User | None, purpose: str = "") -> dict[str, Any]:
    """A user's or partner's export of one call: checked, and an accounting-of-disclosures row."""
    permissions.require(permissions.may_exchange_eido, by, call, "Your role may not export incidents.")
    document = export_call(call)
    disclosures.record(
        actor=by,
        kind="eido",
        person=call.person,
        about=call,
        purpose=purpose,
        records=[f"dispatch.call:{call.pk}"],
    )
    return document
