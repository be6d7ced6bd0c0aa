from dataclasses import asdict

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crisis import permissions
from programs import plugins
from responders.models import TeamStatus
from responders.selectors import team_of

from .models import Disposition, Status

DECLINE_REASONS = [
    "Too far away",
    "Team lacks the needed skills",
    "Safety concern",
    "Finishing another task",
]


@require_GET
@permission_required("responders.update_own_team", raise_exception=True)
def home(request):
    """The responder's phone: a shell the page fills from /api/my-team/ and keeps current over the websocket."""
    team = team_of(request.user)
    labels = {
        "status": dict(Status.choices),
        "team_status": dict(TeamStatus.choices),
        "disposition": [[k, v] for k, v in Disposition.choices if k != Disposition.RESOLVED_BY_PHONE],
        "decline_reasons": DECLINE_REASONS,
        "location_interval_seconds": settings.RESPONDER_LOCATION_INTERVAL_SECONDS,
        "user": request.user.get_username(),
        # Web Push of offers (dispatch/push.py): the VAPID public key, or "" when the server has it off.
        "push_public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY if settings.WEBPUSH_VAPID_PRIVATE_KEY else "",
        # The team's program's own questions at clear (e.g. a wellness check's outcome and a referral): in the
        # page, so the clear form works offline and its answers go with the queued clear.
        "clear_questions": [asdict(q) for q in plugins.clear_questions(team)] if team is not None else [],
    }
    # Escalations of stalled hand-offs reach the phone too (the caseload's socket), for those who have a caseload.
    care_alerts = team is not None and permissions.may_see_care_caseload.test(request.user)
    return render(request, "responders/home.html", {"team": team, "labels": labels, "care_alerts": care_alerts})
