"""Roster reads: who is on which team. Never imports live operations."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.utils import timezone

from crisis import audit, permissions

from .models import InternHours, InternTerm, SupervisionNote, Team, TeamMember

UPCOMING_DAYS = 30


def team_of(user) -> Team | None:
    membership = TeamMember.objects.select_related("team", "team__program").filter(user=user, active=True).first()
    return membership.team if membership else None


# --- The supervision log ----------------------------------------------------------------------------------


def supervises_interns(user) -> bool:
    return InternTerm.objects.filter(supervisor_id=user.pk, ended_at__isnull=True).exists()


def require_supervision_log(user) -> None:
    """The page is for interns in their term, the supervisors of interns and the staffing roles (the term
    table, for turnover); anyone else gets a 403."""
    if not (
        permissions.may_write_supervision_note.test(user)
        or supervises_interns(user)
        or user.has_perm("responders.view_internterm")
    ):
        raise PermissionDenied("The supervision log is for interns and their supervisors.")


def intern_terms_for_staffing():
    """Every term, current first then ended (newest), for the staffing roles' turnover table."""
    return InternTerm.objects.select_related("user", "supervisor").order_by("ended_at", "-ends_on", "pk")[:300]


def supervision_notes_for(user):
    """The intern's own notes, or those of the interns this user supervises; each read audited."""
    require_supervision_log(user)
    notes = SupervisionNote.objects.select_related("term__user", "signed_by")
    term = getattr(user, "intern_term", None)
    notes = notes.filter(term=term) if term is not None else notes.filter(term__supervisor_id=user.pk)
    notes = list(notes.order_by("signed_at", "-at")[:200])
    audit.record(actor=user, action="responders.supervision_log.viewed", ids=[n.pk for n in notes])
    return notes


def intern_hours_for(user):
    """The intern's own hours, or those of the interns this user supervises (pending first); audited."""
    require_supervision_log(user)
    rows = InternHours.objects.select_related("term__user", "signed_by")
    term = getattr(user, "intern_term", None)
    rows = rows.filter(term=term) if term is not None else rows.filter(term__supervisor_id=user.pk)
    rows = list(rows.order_by("signed_at", "-on", "-pk")[:200])
    audit.record(actor=user, action="responders.intern_hours.viewed", ids=[r.pk for r in rows])
    return rows


def hours_signed(term) -> Decimal:
    return InternHours.objects.filter(term=term, signed_at__isnull=False).aggregate(s=Sum("hours"))["s"] or Decimal(0)


# --- Turnover, for program managers ------------------------------------------------------------------------


@dataclass
class TermRow:
    """One intern's term as the turnover view shows it."""

    term: InternTerm
    state: str  # "upcoming", "active", "ended", "ended early"
    tenure_days: int  # days from the first day to the end of access (or today while active)
    hours_signed: Decimal
    hours_pending: Decimal
    notes_pending: int
    on_team: bool
    supervisor_on_team: bool
    checklist: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def hours_short(self) -> Decimal:
        return max(Decimal(self.term.required_hours) - self.hours_signed, Decimal(0))


@dataclass
class UniversityRow:
    university: str
    started: int = 0
    ended: int = 0
    active: int = 0
    early: int = 0
    tenure_days: list[int] = field(default_factory=list)
    hours_signed: Decimal = Decimal(0)
    hours_required: int = 0

    @property
    def average_tenure_days(self) -> float | None:
        return sum(self.tenure_days) / len(self.tenure_days) if self.tenure_days else None


@dataclass
class Turnover:
    start: date
    end: date
    today: date
    terms: list[TermRow]
    universities: list[UniversityRow]
    total: UniversityRow
    upcoming: list[TermRow]


def _state(term: InternTerm, today: date) -> str:
    if term.ended_at is not None:
        ended_on = timezone.localdate(term.ended_at)
        return "ended early" if ended_on < term.ends_on else "ended"
    return "upcoming" if term.starts_on > today else "active"


def intern_turnover(*, start: date, end: date, today: date | None = None) -> Turnover:
    """Terms that overlap [start, end], by university: started and ended in the range, active now, ended
    early, the average tenure of those that ended, and signed-off hours; with the terms ending in the next
    30 days and what their onboarding and offboarding still need. A few queries whatever the number of terms."""
    today = today or timezone.localdate()
    terms = list(
        InternTerm.objects.filter(starts_on__lte=end, ends_on__gte=start)
        .select_related("user", "supervisor")
        .order_by("university", "ends_on", "pk")
    )
    ids = [t.pk for t in terms]
    hours = {
        r["term_id"]: r
        for r in InternHours.objects.filter(term_id__in=ids)
        .values("term_id")
        .annotate(
            signed=Sum("hours", filter=Q(signed_at__isnull=False)),
            pending=Sum("hours", filter=Q(signed_at__isnull=True)),
        )
        .order_by()
    }
    notes_pending: dict[int, int] = {}
    for term_id in SupervisionNote.objects.filter(term_id__in=ids, signed_at__isnull=True).values_list(
        "term_id", flat=True
    ):
        notes_pending[term_id] = notes_pending.get(term_id, 0) + 1
    members = dict(
        TeamMember.objects.filter(
            active=True, user_id__in={t.user_id for t in terms} | {t.supervisor_id for t in terms}
        ).values_list("user_id", "team_id")
    )
    rows = []
    for t in terms:
        h = hours.get(t.pk, {})
        last = timezone.localdate(t.ended_at) if t.ended_at else min(today, t.ends_on)
        row = TermRow(
            term=t,
            state=_state(t, today),
            tenure_days=max((last - t.starts_on).days + 1, 0),
            hours_signed=h.get("signed") or Decimal(0),
            hours_pending=h.get("pending") or Decimal(0),
            notes_pending=notes_pending.get(t.pk, 0),
            on_team=t.user_id in members,
            supervisor_on_team=t.user_id in members and members.get(t.supervisor_id) == members[t.user_id],
        )
        row.checklist = [
            ("Account active", t.user.is_active and t.ended_at is None),
            ("On a team", row.on_team),
            ("Supervisor on the same team", row.supervisor_on_team),
            ("Required hours signed off", row.hours_signed >= t.required_hours),
            ("Log signed off", row.hours_pending == 0 and row.notes_pending == 0),
        ]
        rows.append(row)
    by_uni: dict[str, UniversityRow] = {}
    total = UniversityRow("All universities")
    for row in rows:
        t = row.term
        for agg in (by_uni.setdefault(t.university, UniversityRow(t.university)), total):
            agg.started += start <= t.starts_on <= end
            ended_in_range = t.ended_at is not None and start <= timezone.localdate(t.ended_at) <= end
            agg.ended += ended_in_range
            agg.early += ended_in_range and row.state == "ended early"
            agg.active += row.state == "active"
            if t.ended_at is not None:
                agg.tenure_days.append(row.tenure_days)
            agg.hours_signed += row.hours_signed
            agg.hours_required += t.required_hours
    soon = today + timedelta(days=UPCOMING_DAYS)
    upcoming = [r for r in rows if r.term.ended_at is None and today <= r.term.ends_on <= soon]
    upcoming.sort(key=lambda r: (r.term.ends_on, r.term.pk))
    return Turnover(start, end, today, rows, list(by_uni.values()), total, upcoming)
