from programs.plugins import ProgramPlugin

from . import services


class MobileCrisisPlugin(ProgramPlugin):
    """Mobile crisis teams: every field response gets a follow-up contact (the 72-hour standard reads these)."""

    def call_closed(self, call, *, by) -> None:
        services.follow_up_schedule(call=call, by=by)
