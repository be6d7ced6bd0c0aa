"""Accounting of disclosures (45 CFR 164.528) and of reads of a person's record, from the audit trail.

Read-only: the audit rows are the record. Disclosures are the `disclosure.*` rows integrations write (to whom,
why, which records); reads are the person page and API (`people.person.viewed`) and the consent-scoped
history lookup (`history.person.viewed`, `history.person.break_glass`). Each showing and each export is
itself audited, so the privacy officer's own reads are accounted for too.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from .models import AuditEntry, Person

READ_ACTIONS = ("people.person.viewed", "history.person.viewed", "history.person.break_glass")
KIND_LABELS = {
    "people.person.viewed": "Read: person page",
    "history.person.viewed": "Read: history lookup",
    "history.person.break_glass": "Read: break the glass",
}

CHANNELS = {"fhir": "FHIR", "eido": "EIDO", "hmis": "HMIS export", "webhook": "webhook"}


@dataclass(frozen=True)
class AccountingRow:
    at: datetime
    kind: str  # "disclosure" or "read"
    label: str
    who: str  # the user (for a disclosure: the account that sent or fetched it)
    recipient: str
    purpose: str
    records: str
    via: str
    ip: str


def _row(entry: AuditEntry) -> AccountingRow:
    d = entry.detail or {}
    if entry.action.startswith("disclosure."):
        records = d.get("records") or []
        channel = entry.action.removeprefix("disclosure.")
        return AccountingRow(
            at=entry.at,
            kind="disclosure",
            label=f"Disclosure: {CHANNELS.get(channel, channel)}",
            who=entry.actor_label,
            recipient=str(d.get("recipient", "")),
            purpose=str(d.get("purpose", "")),
            records=", ".join(map(str, records)) if isinstance(records, list) else str(records),
            via="",
            ip=entry.ip_address or "",
        )
    purpose = d.get("purpose", "")
    if entry.action == "history.person.break_glass" and d.get("reason"):
        purpose = f"{purpose} (reason: {d['reason']})" if purpose else f"reason: {d['reason']}"
    sections = d.get("shown")
    return AccountingRow(
        at=entry.at,
        kind="read",
        label=KIND_LABELS.get(entry.action, entry.action),
        who=entry.actor_label,
        recipient="",
        purpose=str(purpose),
        records=", ".join(map(str, sections)) if isinstance(sections, list) else "",
        via=str(d.get("via", "")),
        ip=entry.ip_address or "",
    )


def person_accounting(*, person: Person, start: date | None = None, end: date | None = None) -> list[AccountingRow]:
    """Every disclosure of the person's records and every read of their record, newest first; `end` inclusive."""
    rows = AuditEntry.objects.filter(object_type=Person._meta.label_lower, object_id=str(person.pk)).filter(
        Q(action__startswith="disclosure.") | Q(action__in=READ_ACTIONS)
    )
    tz = timezone.get_current_timezone()
    if start is not None:
        rows = rows.filter(at__gte=datetime.combine(start, time.min, tz))
    if end is not None:
        rows = rows.filter(at__lt=datetime.combine(end + timedelta(days=1), time.min, tz))
    return [_row(e) for e in rows.order_by("-at", "-id")]


CSV_COLUMNS = ["when", "kind", "what", "who", "recipient", "purpose", "records", "via", "from address"]


def accounting_csv(rows: list[AccountingRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        cells = [timezone.localtime(r.at).isoformat(), r.kind, r.label, r.who, r.recipient, r.purpose, r.records]
        # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
        cells = [f"'{c}" if c[:1] in ("=", "+", "-", "@") else c for c in cells] + [r.via, r.ip]
        writer.writerow(cells)
    return out.getvalue()
