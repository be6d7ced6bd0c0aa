"""The consult page: an officer's tablet (request, follow, talk) or the clinician's and supervisor's desk.

Server-rendered shell; static/js/consult.js draws it from the snapshot and keeps it live over the socket.
"""

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crisis import permissions
from crisis.errors import DomainError

from . import services
from .ice import ice_servers
from .models import Consult, ConsultStatus, Need, Outcome


def home(request):
    user = request.user
    officer = permissions.may_request_consult.test(user)
    answers = user.has_perm("le_consult.answer_consult")
    supervisor = permissions.is_consult_supervisor.test(user)
    if not (officer or answers or supervisor):
        raise PermissionDenied("Your role has no consults.")
    context = {
        "officer": officer,
        "answers": answers,
        "supervisor": supervisor,
        "needs": Need.choices,
        "outcomes": Outcome.choices,
        "can_look_up": permissions.may_search_history.test(user),
        "escalate_seconds": settings.CONSULT_ESCALATE_SECONDS,
    }
    return render(request, "le_consult/home.html", context)


def video(request, pk: int, *, status: int = 200, **extra):
    """The video call of one consult: the officer's tablet or the clinician's desk (static/js/video.js).

    The clinician first records the person's consent (the call starts only then), and writes a short note
    after it; both are forms on this page."""
    consult = get_object_or_404(Consult.objects.select_related("officer", "assigned_to"), pk=pk)
    permissions.require(permissions.may_join_consult_video, request.user, consult, services.MAY_NOT_JOIN)
    officer = request.user.pk == consult.officer_id
    other = consult.assigned_to if officer else consult.officer
    in_progress = consult.status == ConsultStatus.ACCEPTED
    context = {
        "consult": consult,
        "officer": officer,
        "other_name": (other.get_full_name() or other.get_username()) if other else "",
        "in_progress": in_progress,
        # The clinician's page waits for the consent form; the officer's joins and waits for the clinician.
        "needs_consent": in_progress and not officer and not consult.video_consent,
        "sessions": list(consult.video_sessions.filter(ended_at__isnull=False).order_by("started_at", "pk")),
        "ice_servers": ice_servers(request.user),
        "done": request.GET.get("done", ""),
    } | extra
    # The page joins the call by itself when opened; not after writing the note (the call is over).
    context["show_call"] = (
        in_progress and not context["needs_consent"] and context["done"] != "note" and "typed_note" not in extra
    )
    return render(request, "le_consult/video.html", context, status=status)


def _after(request, pk: int, action, *, done: str, **form):
    """Run a service for the video page's form; a refusal shows on the page with what was typed."""
    try:
        action()
    except DomainError as exc:
        return video(request, pk, status=exc.status_code, error=exc.message, **form)
    return redirect(reverse("programs:le_consult:video", args=[pk]) + f"?done={done}")


@require_POST
@permission_required("le_consult.answer_consult", raise_exception=True)
def video_consent(request, pk: int):
    consult = get_object_or_404(Consult, pk=pk)
    permissions.require(permissions.may_document_consult_video, request.user, consult, services.MAY_NOT_DOCUMENT_VIDEO)
    agreed = request.POST.get("consent") == "agreed"
    reason = request.POST.get("reason", "")
    return _after(
        request,
        pk,
        lambda: services.video_consent_record(consult=consult, by=request.user, agreed=agreed, reason=reason),
        done="consent",
        typed_reason=reason,
    )


@require_POST
@permission_required("le_consult.answer_consult", raise_exception=True)
def video_note(request, pk: int):
    consult = get_object_or_404(Consult, pk=pk)
    permissions.require(permissions.may_document_consult_video, request.user, consult, services.MAY_NOT_DOCUMENT_VIDEO)
    text = request.POST.get("text", "")
    return _after(
        request,
        pk,
        lambda: services.video_session_note(consult=consult, by=request.user, text=text),
        done="note",
        typed_note=text,
    )
