"""The law-enforcement remote consult program's plug-in: its pages, API and socket, and following the calls its
consults opened (the team coming to the officer); no routing rules."""

from __future__ import annotations

from django.urls import reverse

from crisis import permissions
from crisis.people import move_references
from programs.plugins import OutcomeReport, ProgramPlugin, count_per_period

from .models import KIND, Consult, ConsultStatus, Outcome


def count_outcomes(*, start_at, end_at, period: str, tz, program_id: int | None):
    """Closed consults by the period they closed in and what they changed."""
    consults = Consult.objects.filter(status=ConsultStatus.CLOSED, closed_at__gte=start_at, closed_at__lt=end_at)
    if program_id is not None:
        consults = consults.filter(program_id=program_id)
    return count_per_period(consults, at="closed_at", by="outcome", period=period, tz=tz)


class LeConsultPlugin(ProgramPlugin):
    app_label = "le_consult"
    kinds = ((KIND, "Law-enforcement remote consult"),)

    def outcome_reports(self) -> list[OutcomeReport]:
        return [
            OutcomeReport(
                key="consults",
                title="Officer consults: what they changed",
                outcomes=tuple(Outcome.choices),
                count=count_outcomes,
                note="Consults closed in the period, by the outcome the clinician recorded.",
            )
        ]

    def urls(self) -> list:
        from .urls import urlpatterns

        return urlpatterns

    def websocket_urls(self) -> list:
        from django.urls import path

        from .consumers import ConsultConsumer, VideoConsumer

        return [
            path("ws/programs/le_consult/", ConsultConsumer.as_asgi()),
            path("ws/programs/le_consult/video/<int:pk>/", VideoConsumer.as_asgi()),
        ]

    def person_merge(self, *, keep, merge) -> dict[str, list[int]]:
        return move_references(Consult, "person", keep=keep, merge=merge)

    def call_actions(self, call, user) -> list[tuple[str, str]]:
        # A video is always a consult's (the officer on scene and the clinician handling it): from the call
        # record, the clinician on the consult that opened this call starts or rejoins it.
        from .services import CALL_SOURCE

        if getattr(call, "source", None) != CALL_SOURCE:
            return []
        consult = Consult.objects.filter(call_id=call.pk, status=ConsultStatus.ACCEPTED).first()
        if consult is None or not permissions.may_join_consult_video.test(user, consult):
            return []
        started = consult.video_sessions.filter(ended_at__isnull=True).exists()
        label = "Join the video consult (started)" if started else "Start video consult"
        return [(label, reverse("programs:le_consult:video", args=[consult.pk]))]

    def call_changed(self, call) -> None:
        from .services import consults_follow_call

        consults_follow_call(call=call)

    def team_moved(self, team) -> None:
        from .services import consults_follow_team

        consults_follow_team(team=team)
