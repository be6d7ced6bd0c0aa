"""HUD HMIS CSV export (FY2024) of the outreach and stabilization programs' work, for the CoC's HMIS lead.

Projects: each active program of the homeless-outreach kind (Street Outreach, project type 4) and of the crisis
stabilization kind (Services Only, project type 6). Outreach: one enrollment per person and project (entry at the
first contact in the period, engagement at the first contact that connected them), each contact a Current Living
Situation and a PATH re-engagement service. Stabilization: one enrollment per call with a known person handled by
the program's team, exit when the call closed. Columns and codes: integrations/hmis_spec.py.

A person's name and date of birth leave only with their in-force HMIS consent (crisis.history, scope `hmis`);
without it the client row is de-identified (no name, no birth date, a pseudonymous PersonalID that cannot be
turned back into ours) and nothing identifiable is disclosed. Every identified client is one accounting-of-
disclosures row.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import zipfile
from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.utils import timezone

from crisis import permissions
from crisis.errors import InvalidInput
from crisis.history.models import Consent
from crisis.models import User
from dispatch.models import Call
from programs.homeless_outreach.models import OutreachContact
from programs.models import Program

from . import disclosures
from .hmis_spec import COLUMNS, CSV_VERSION

OUTREACH_KIND = "homeless_outreach"
STABILIZATION_KIND = "crisis_stabilization"
PROJECT_TYPE = {OUTREACH_KIND: 4, STABILIZATION_KIND: 6}
HMIS_CONSENT_SCOPE = "hmis"
# Outreach outcome → the contact's current living situation (4.12): who was connected to shelter was last seen
# in one; everyone else the team met was on the street (a place not meant for habitation).
CLS_FOR_OUTCOME = {"shelter": 116}
STREET = 101


def _d(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat()


def _ts(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def pseudonym(person_id: int) -> str:
    """A stable PersonalID for a de-identified client: keyed, so nobody without our secret can link it back."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"hmis-person:{person_id}".encode(), hashlib.sha256).hexdigest()
    return f"D{mac[:31]}"


def consented(person_ids: set[int], on: date) -> set[int]:
    return set(
        Consent.objects.in_force(on)
        .filter(person_id__in=person_ids, scope=HMIS_CONSENT_SCOPE)
        .values_list("person_id", flat=True)
    )


def build(*, start: date, end: date, now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """The rows of every file for activity between `start` and `end` (inclusive)."""
    now = now or timezone.now()
    export_id = now.strftime("%Y%m%d%H%M%S")
    lo = timezone.make_aware(datetime.combine(start, time.min))
    hi = timezone.make_aware(datetime.combine(end, time.max))
    programs = list(Program.objects.filter(kind__in=PROJECT_TYPE).order_by("id"))
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in COLUMNS}
    stamp = {
        "DateCreated": _ts(now),
        "DateUpdated": _ts(now),
        "UserID": "crisis-hub",
        "DateDeleted": "",
        "ExportID": export_id,
    }
    rows["Export.csv"].append(
        {
            "ExportID": export_id,
            "SourceType": 2,
            "SourceID": "",
            "SourceName": settings.HMIS_SOURCE_NAME,
            "ExportDate": _ts(now),
            "ExportStartDate": start.isoformat(),
            "ExportEndDate": end.isoformat(),
            "SoftwareName": "Crisis response dispatch",
            "SoftwareVersion": "1.0",
            "CSVVersion": CSV_VERSION,
            "ExportPeriodType": 3,
            "ExportDirective": 2,
            "HashStatus": 1,
            "ImplementationID": settings.HMIS_SOURCE_NAME,
        }
    )
    rows["Organization.csv"].append(
        {"OrganizationID": "1", "OrganizationName": settings.HMIS_SOURCE_NAME, "VictimServiceProvider": 0, **stamp}
    )
    for program in programs:
        rows["Project.csv"].append(
            {
                "ProjectID": str(program.pk),
                "OrganizationID": "1",
                "ProjectName": program.name,
                "OperatingStartDate": "2020-01-01",
                "ContinuumProject": 1,
                "ProjectType": PROJECT_TYPE[program.kind],
                "ResidentialAffiliation": 0,
                **stamp,
            }
        )
    people: dict[int, Any] = {}
    contacts = (
        OutreachContact.objects.filter(at__range=(lo, hi), team__program__in=programs)
        .select_related("person", "team")
        .order_by("at", "id")
    )
    by_enrollment: dict[tuple[int, int], list[OutreachContact]] = defaultdict(list)
    for contact in contacts:
        by_enrollment[(contact.person_id, contact.team.program_id)].append(contact)
        people[contact.person_id] = contact.person
    calls = list(
        Call.objects.filter(
            received_at__range=(lo, hi),
            program__in=[p for p in programs if p.kind == STABILIZATION_KIND],
            person__isnull=False,
        )
        .select_related("person")
        .order_by("received_at", "id")
    )
    for call in calls:
        people[call.person_id] = call.person
    identified = consented(set(people), end)

    def pid(person_id: int) -> str:
        return str(person_id) if person_id in identified else pseudonym(person_id)

    for person_id, person in sorted(people.items()):
        named = person_id in identified
        rows["Client.csv"].append(
            {
                "PersonalID": pid(person_id),
                "FirstName": person.first_name if named else "",
                "LastName": person.last_name if named else "",
                "NameDataQuality": (1 if named and person.first_name and person.last_name else 2 if named else 9),
                "SSNDataQuality": 99,
                "DOB": _d(person.date_of_birth) if named else "",
                "DOBDataQuality": (1 if named and person.date_of_birth else 9 if not named else 99),
                **{c: 0 for c in ("AmIndAKNative", "Asian", "BlackAfAmerican", "HispanicLatinaeo", "MidEastNAfrican")},
                **{c: 0 for c in ("NativeHIPacific", "White")},
                "RaceNone": 99,
                **{c: 0 for c in ("Woman", "Man", "NonBinary", "CulturallySpecific", "Transgender", "Questioning")},
                "DifferentIdentity": 0,
                "GenderNone": 99,
                "VeteranStatus": 99,
                **stamp,
            }
        )
    for (person_id, program_id), items in sorted(by_enrollment.items()):
        enrollment_id = f"O{program_id}-{pid(person_id)}"
        engaged = next((c for c in items if c.outcome != OutreachContact.Outcome.DECLINED), None)
        rows["Enrollment.csv"].append(
            {
                "EnrollmentID": enrollment_id,
                "PersonalID": pid(person_id),
                "ProjectID": str(program_id),
                "EntryDate": _d(items[0].at),
                "HouseholdID": f"H{enrollment_id}",
                "RelationshipToHoH": 1,
                "EnrollmentCoC": settings.HMIS_COC_CODE,
                "LivingSituation": STREET,
                "DisablingCondition": 99,
                "DateOfEngagement": _d(engaged.at) if engaged else "",
                **stamp,
            }
        )
        for contact in items:
            rows["CurrentLivingSituation.csv"].append(
                {
                    "CurrentLivingSitID": f"C{contact.pk}",
                    "EnrollmentID": enrollment_id,
                    "PersonalID": pid(person_id),
                    "InformationDate": _d(contact.at),
                    "CurrentLivingSituation": CLS_FOR_OUTCOME.get(contact.outcome, STREET),
                    **stamp,
                }
            )
            rows["Services.csv"].append(
                {
                    "ServicesID": f"S{contact.pk}",
                    "EnrollmentID": enrollment_id,
                    "PersonalID": pid(person_id),
                    "DateProvided": _d(contact.at),
                    "RecordType": 141,
                    "TypeProvided": 1,  # PATH: re-engagement
                    **stamp,
                }
            )
    for call in calls:
        enrollment_id = f"K{call.pk}"
        rows["Enrollment.csv"].append(
            {
                "EnrollmentID": enrollment_id,
                "PersonalID": pid(call.person_id),
                "ProjectID": str(call.program_id),
                "EntryDate": _d(call.received_at),
                "HouseholdID": f"H{enrollment_id}",
                "RelationshipToHoH": 1,
                "EnrollmentCoC": settings.HMIS_COC_CODE,
                "LivingSituation": STREET if call.person.experiencing_homelessness else 99,
                "DisablingCondition": 99,
                **stamp,
            }
        )
        rows["Services.csv"].append(
            {
                "ServicesID": f"K{call.pk}",
                "EnrollmentID": enrollment_id,
                "PersonalID": pid(call.person_id),
                "DateProvided": _d(call.arrived_at or call.received_at),
                "RecordType": 141,
                "TypeProvided": 4,  # PATH: community mental health
                **stamp,
            }
        )
        if call.closed_at and call.closed_at <= hi:
            rows["Exit.csv"].append(
                {
                    "ExitID": f"X{call.pk}",
                    "EnrollmentID": enrollment_id,
                    "PersonalID": pid(call.person_id),
                    "ExitDate": _d(call.closed_at),
                    "Destination": 99,  # the call's disposition says how it ended, not where the person went
                    **stamp,
                }
            )
    rows["_identified"] = [{"person": people[i]} for i in sorted(identified)]
    return rows


def to_csv(name: str, rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS[name], extrasaction="raise", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in COLUMNS[name]})
    return out.getvalue()


def hmis_export(*, start: date, end: date, by: User | None) -> bytes:
    """The FY2024 CSV files in one zip. Each identified client is an accounting-of-disclosures row."""
    permissions.require(permissions.may_export_hmis, by, None, "Only an administrator may export to the HMIS.")
    if end < start:
        raise InvalidInput("The end date is before the start date.", field="end")
    rows = build(start=start, end=end)
    for item in rows.pop("_identified"):
        disclosures.record(
            actor=by,
            kind="hmis",
            person=item["person"],
            recipient=settings.HMIS_RECIPIENT,
            purpose="HUD HMIS reporting (Continuum of Care)",
            records=[f"hmis:{start.isoformat()}..{end.isoformat()}"],
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in COLUMNS:
            archive.writestr(name, to_csv(name, rows[name]))
    return buffer.getvalue()
