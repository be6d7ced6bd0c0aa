"""What a report covers: a date range in the local time zone, and optionally one program or one team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from dispatch.models import Call
from programs.models import Program
from responders.models import Team


def local_tz():
    return timezone.get_current_timezone()


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    program: Program | None = None
    team: Team | None = None

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=local_tz())

    @property
    def end_at(self) -> datetime:  # exclusive
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=local_tz())

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]

    def calls(self):
        qs = Call.objects.filter(received_at__gte=self.start_at, received_at__lt=self.end_at)
        if self.program is not None:
            qs = qs.filter(program=self.program)
        if self.team is not None:
            qs = qs.filter(team=self.team)
        return qs

    def teams(self):
        qs = Team.objects.select_related("program")
        if self.program is not None:
            qs = qs.filter(program=self.program)
        if self.team is not None:
            qs = qs.filter(pk=self.team.pk)
        return qs

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "program": self.program.pk if self.program else None,
            "team": self.team.pk if self.team else None,
        }
