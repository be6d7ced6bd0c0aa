"""The community responders program's plug-in: referrals to partner services, followed until the loop closes."""

from __future__ import annotations

from programs.plugins import ProgramPlugin


class CommunityRespondersPlugin(ProgramPlugin):
    app_label = "community_responders"

    def urls(self) -> list:
        from .urls import urlpatterns

        return urlpatterns
