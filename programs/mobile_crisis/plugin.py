"""The mobile crisis program's plug-in: a follow-up for every field response; follow-ups stop the 72-hour clock."""

from __future__ import annotations

from programs.plugins import ProgramPlugin, StandardEnd

from . import services
from .models import FollowUp


class MobileCrisisPlugin(ProgramPlugin):
    app_label = "mobile_crisis"

    def call_closed(self, call, *, by) -> None:
        services.follow_up_schedule(call=call, by=by)

    def urls(self) -> list:
        from .urls import urlpatterns

        return urlpatterns

    def standard_ends(self) -> list[StandardEnd]:
        # The follow-up standard (dispatch/standards.py) runs from on scene to the first completed follow-up.
        return [
            StandardEnd(
                end="follow_up_completed_at",
                records=lambda: FollowUp.objects.filter(completed_at__isnull=False),
                at_field="completed_at",
            )
        ]
