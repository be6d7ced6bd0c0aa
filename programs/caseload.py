"""Reads for "my caseload today": each program's open hand-offs (the `caseload_items` hook) and the escalations
raised to this user. Every read names people, so each is audited here, once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from crisis import audit, permissions
from crisis.models import User

from . import plugins
from .models import Escalation, EscalationLevel


def end_of_today(now: datetime) -> datetime:
    """Midnight at the end of the local day: "today" is the worker's day, not UTC's."""
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), time.min))


def escalations_for(user: User) -> QuerySet[Escalation]:
    """The open escalations raised to `user`: their own (or their team's unowned ones); a supervisor's level too."""
    qs = Escalation.objects.filter(resolved_at__isnull=True, acknowledged_at__isnull=True)
    own = Q(level=EscalationLevel.OWNER) & (
        Q(owner=user) | Q(owner__isnull=True, team_id=permissions.active_team_id(user) or 0)
    )
    if permissions.is_care_supervisor.test(user):
        own |= Q(level=EscalationLevel.SUPERVISOR)
    return qs.filter(own).order_by("-raised_at", "-pk")


def escalation_for_work(*, pk: int, by: User) -> Escalation:
    escalation = Escalation.objects.filter(pk=pk).first()
    if escalation is None:
        raise Http404("No such escalation.")
    return escalation


@dataclass
class ProgramCaseload:
    program: str
    items: list[plugins.CareItem] = field(default_factory=list)


@dataclass
class Caseload:
    now: datetime
    items: list[plugins.CareItem]  # newest due first
    escalations: list[Escalation]
    supervisor: bool

    @property
    def overdue(self) -> list[plugins.CareItem]:
        return [i for i in self.items if i.due_at < self.now]

    @property
    def due_today(self) -> list[plugins.CareItem]:
        return [i for i in self.items if i.due_at >= self.now]

    @property
    def escalated_keys(self) -> set[str]:
        return {e.key for e in self.escalations}

    def by_program(self) -> list[ProgramCaseload]:
        """A supervisor's view: each program's items, with their owners."""
        out: dict[str, ProgramCaseload] = {}
        for item in self.items:
            out.setdefault(item.program, ProgramCaseload(item.program)).items.append(item)
        return sorted(out.values(), key=lambda p: p.program)


def caseload_today(*, by: User, now: datetime) -> Caseload:
    """What `by` has to do today, across programs; the read is audited with the records it names."""
    if not permissions.may_see_care_caseload.test(by):
        raise PermissionDenied("Only a responder on a team or a supervisor has a caseload.")
    items = plugins.caseload_items(by, until=end_of_today(now))
    escalations = list(escalations_for(by))
    audit.record(
        actor=by,
        action="programs.caseload.viewed",
        items=[i.key for i in items],
        people=sorted({i.person_id for i in items if i.person_id}),
        overdue=sum(1 for i in items if i.due_at < now),
    )
    return Caseload(now, items, escalations, permissions.is_care_supervisor.test(by))
