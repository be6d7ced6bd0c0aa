"""The consult page: an officer's tablet (request, follow, talk) or the clinician's and supervisor's desk.

Server-rendered shell; static/js/consult.js draws it from the snapshot and keeps it live over the socket.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from crisis import permissions

from .models import Need, Outcome


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
