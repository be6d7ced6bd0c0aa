"""The mobile crisis program's plug-in: no routing rules of its own; its follow-ups stop the 72-hour clock."""

from __future__ import annotations

from programs.plugins import ProgramPlugin, StandardEnd

from .models import FollowUp


class MobileCrisisPlugin(ProgramPlugin):
    def standard_ends(self) -> list[StandardEnd]:
        # The follow-up standard (dispatch/standards.py) runs from on scene to the first completed follow-up.
        return [
            StandardEnd(
                end="follow_up_completed_at",
                records=lambda: FollowUp.objects.filter(completed_at__isnull=False),
                at_field="completed_at",
            )
        ]
