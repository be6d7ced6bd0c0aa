"""The law-enforcement remote consult program's plug-in: its pages, API and socket; no routing rules."""

from __future__ import annotations

from crisis.people import move_references
from programs.plugins import ProgramPlugin

from .models import KIND, Consult


class LeConsultPlugin(ProgramPlugin):
    app_label = "le_consult"
    kinds = ((KIND, "Law-enforcement remote consult"),)

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
