from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dispatch.models import ACTIVE_ASSIGNMENT, Assignment

from .selectors import team_of


@require_GET
@permission_required("responders.update_own_team", raise_exception=True)
def home(request):
    team = team_of(request.user)
    assignment = None
    if team is not None:
        assignment = (
            Assignment.objects.filter(team=team, status__in=ACTIVE_ASSIGNMENT)
            .select_related("call", "call__person")
            .prefetch_related("call__triages")
            .first()
        )
    return render(request, "responders/home.html", {"team": team, "assignment": assignment, "now": timezone.now()})
