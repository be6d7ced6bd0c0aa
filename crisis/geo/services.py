"""The only writer of the address table: `addresses_load`, from an OpenAddresses-style CSV."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from .models import Address, fold

COLUMNS = ("LON", "LAT", "NUMBER", "STREET", "UNIT", "CITY", "DISTRICT", "REGION", "POSTCODE", "ID", "HASH")
REQUIRED = ("LON", "LAT", "NUMBER", "STREET")
LIMITS = {"NUMBER": 20, "STREET": 120, "UNIT": 40, "CITY": 80, "DISTRICT": 80, "REGION": 40, "POSTCODE": 16,
          "ID": 64, "HASH": 64}  # fmt: skip
BATCH = 2000
# Synthetic addresses on Chicago's street grid around the demo's calls and teams (`make run` loads it).
SAMPLE_CSV = Path(__file__).resolve().parent / "data" / "sample_addresses.csv"


class BadFile(ValueError):
    """The file is not an address CSV at all (no header, required columns missing)."""


@dataclass
class LoadReport:
    loaded: int = 0
    skipped: int = 0  # already in the table, or repeated in the file
    bad: int = 0
    # (line number, why), the first few only: a broken export is usually broken the same way throughout.
    errors: list[tuple[int, str]] = field(default_factory=list)

    def add_error(self, line: int, why: str) -> None:
        self.bad += 1
        if len(self.errors) < 20:
            self.errors.append((line, why))


def _tidy(value: str) -> str:
    value = " ".join(value.split())
    # OpenAddresses' sources are often all capitals: "W LAKE ST" reads as "W Lake St" on a screen.
    return value.title() if value.isupper() else value


def _row(raw: dict, line: int) -> Address:
    """One CSV row as an unsaved Address; ValueError says what is wrong with it."""
    values = {}
    for name in COLUMNS:
        value = raw.get(name) or ""
        if not isinstance(value, str):  # a row with more cells than the header
            raise ValueError("more cells than the header has columns")
        if "\x00" in value:
            raise ValueError(f"{name} holds a NUL character")
        value = value.strip()
        if name in LIMITS and len(value) > LIMITS[name]:
            raise ValueError(f"{name} is longer than {LIMITS[name]} characters")
        values[name] = value
    for name in REQUIRED:
        if not values[name]:
            raise ValueError(f"{name} is empty")
    try:
        lon, lat = float(values["LON"]), float(values["LAT"])
    except ValueError:
        raise ValueError(f"LON/LAT are not numbers ({values['LON']!r}, {values['LAT']!r})") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # also refuses nan and inf
        raise ValueError(f"LAT {lat} / LON {lon} is not a position on Earth")
    number, street, unit = _tidy(values["NUMBER"]), _tidy(values["STREET"]), _tidy(values["UNIT"])
    key = fold(f"{number} {street} {unit}")
    digest = (
        values["HASH"]
        or hashlib.sha1(  # noqa: S324 (a row fingerprint, not a secret)
            f"{key}|{fold(values['CITY'])}|{values['POSTCODE']}|{lat:.6f}|{lon:.6f}".encode()
        ).hexdigest()[:16]
    )
    return Address(
        number=number,
        street=street,
        unit=unit,
        city=_tidy(values["CITY"]),
        district=_tidy(values["DISTRICT"]),
        region=values["REGION"].upper() if len(values["REGION"]) <= 3 else _tidy(values["REGION"]),
        postcode=values["POSTCODE"],
        latitude=lat,
        longitude=lon,
        source_id=values["ID"],
        source_hash=digest,
        key=key[:255],
        street_key=fold(street)[:160],
    )


def _batches(rows: Iterator[dict], report: LoadReport) -> Iterator[list[Address]]:
    batch: dict[str, Address] = {}
    for line, raw in enumerate(rows, start=2):  # line 1 is the header
        try:
            address = _row(raw, line)
        except ValueError as exc:
            report.add_error(line, str(exc))
            continue
        if address.source_hash in batch:
            report.skipped += 1
            continue
        batch[address.source_hash] = address
        if len(batch) >= BATCH:
            yield list(batch.values())
            batch = {}
    if batch:
        yield list(batch.values())


def addresses_load(*, lines: Iterable[str]) -> LoadReport:
    """Load an OpenAddresses-style CSV (LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH).

    Idempotent: a row whose HASH (or, without one, whose content) is already in the table is skipped, so the
    same file loads twice to the same table. Bad rows are counted and named by line; the good ones load.
    """
    reader = csv.DictReader(lines)
    header = [h.strip().upper() for h in (reader.fieldnames or [])]
    if not header:
        raise BadFile("The file is empty: expected a header line LON,LAT,NUMBER,STREET,…")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BadFile(f"The header lacks {', '.join(missing)} (found: {', '.join(header) or 'nothing'}).")
    reader.fieldnames = header
    report = LoadReport()
    seen: set[str] = set()
    with transaction.atomic():
        for batch in _batches(reader, report):
            hashes = [a.source_hash for a in batch]
            known = seen | set(Address.objects.filter(source_hash__in=hashes).values_list("source_hash", flat=True))
            new = [a for a in batch if a.source_hash not in known]
            report.skipped += len(batch) - len(new)
            Address.objects.bulk_create(new)
            report.loaded += len(new)
            seen.update(hashes)
    return report
