"""The consult page: an officer's tablet (request, follow, talk) or the clinician's and supervisor's desk.

Server-rendered shell; static/js/consult.js draws it from the snapshot and keeps it live over the socket.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from crisis import permissions

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


def video(request, pk: int):
    """The video call of one consult: the officer's tablet or the clinician's desk (static/js/video.js)."""
    consult = get_object_or_404(Consult.objects.select_related("officer", "assigned_to"), pk=pk)
    permissions.require(permissions.may_join_consult_video, request.user, consult, services.MAY_NOT_JOIN)
    officer = request.user.pk == consult.officer_id
    other = consult.assigned_to if officer else consult.officer
    context = {
        "consult": consult,
        "officer": officer,
        "other_name": (other.get_full_name() or other.get_username()) if other else "",
        "in_progress": consult.status == ConsultStatus.ACCEPTED,
        "ice_servers": ice_servers(request.user),
    }
    return render(request, "le_consult/video.html", context)
