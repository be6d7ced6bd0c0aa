"""Report tables: columns, formatting, and the CSV that has exactly the cells on screen.

A report returns a Report: named Tables, each with raw rows (for the JSON API) and display rows (for the page
and the CSV, which are therefore identical).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from .filters import Filters


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(round(seconds))
    sign, s = ("-", -s) if s < 0 else ("", s)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"


def fmt_share(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def fmt_number(value: float | None, decimals: int = 1) -> str:
    return "–" if value is None else f"{value:,.{decimals}f}"


def fmt_datetime(value: datetime | None) -> str:
    return "–" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


FORMATTERS = {
    "text": lambda v: "–" if v is None or v == "" else str(v),
    "int": lambda v: "0" if v is None else f"{int(v):,}",
    "id": lambda v: "–" if v is None else str(v),
    "duration": fmt_duration,
    "share": fmt_share,
    "datetime": fmt_datetime,
}


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"
    decimals: int = 1  # for kind "number"
    link: str | None = None  # URL name taking the raw value, for the page only (e.g. the call's page)

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""
    total: int | None = None  # when rows is one page of a longer list
    page: int = 1
    page_size: int | None = None
    # (link text, report name): the report that lists what this table counts, e.g. the pairs behind a rate.
    drill: tuple[str, str] | None = None

    def display_rows(self) -> list[list[str]]:
        def fmt(c: Column, v):
            return fmt_number(v, c.decimals) if c.kind == "number" else FORMATTERS[c.kind](v)

        return [[fmt(c, row.get(c.key)) for c in self.columns] for row in self.rows]

    def cells(self) -> list[list[tuple[str, bool, str | None]]]:
        """display_rows with each cell's numeric flag and link, for the page."""
        out = []
        for raw, shown in zip(self.rows, self.display_rows(), strict=True):
            out.append(
                [
                    (text, c.numeric, reverse(c.link, args=[raw[c.key]]) if c.link and raw.get(c.key) else None)
                    for c, text in zip(self.columns, shown, strict=True)
                ]
            )
        return out

    def header(self) -> list[str]:
        return [c.label for c in self.columns]

    def as_json(self) -> dict[str, Any]:
        def raw(v):
            if isinstance(v, datetime | date):
                return v.isoformat()
            return v

        return {
            "title": self.title,
            "note": self.note,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [{c.key: raw(r.get(c.key)) for c in self.columns} for r in self.rows],
            "total": self.total if self.total is not None else len(self.rows),
            "page": self.page,
            "page_size": self.page_size,
        }


@dataclass
class Report:
    name: str
    title: str
    filters: Filters
    tables: dict[str, Table]
    charts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The calls a report lists one by one (not only counts): the page and the API audit reading them.
    call_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "title": self.title,
            "filters": self.filters.as_dict(),
            "notes": self.notes,
            "tables": {k: t.as_json() for k, t in self.tables.items()},
        }


def share_of(part, whole) -> float | None:
    return None if not whole else part / whole


def write_csv(table: Table, out) -> None:
    """The table's header and display rows, as on the page, to a file-like `out`."""
    writer = csv.writer(out)
    writer.writerow(table.header())
    writer.writerows(table.display_rows())
