"""Roster reads: who is on which team. Never imports live operations."""

from django.core.exceptions import PermissionDenied

from crisis import audit, permissions

from .models import InternTerm, SupervisionNote, Team, TeamMember


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
