"""The 911 dispatch diversion program's plug-in: its console, API and socket, and its part of a person's story."""

from __future__ import annotations

from django.urls import reverse

from crisis import permissions
from programs.plugins import ProgramPlugin, TimelineItem

from .models import Diversion


class DiversionPlugin(ProgramPlugin):
    app_label = "diversion"

    def urls(self) -> list:
        from .urls import urlpatterns

        return urlpatterns

    def nav_links(self, user) -> list[tuple[str, str]]:
        if not permissions.may_work_diversion.test(user):
            return []
        return [("911 diversion", reverse("programs:diversion:console"))]

    def websocket_urls(self) -> list:
        from django.urls import path

        from .consumers import DiversionConsumer

        return [path("ws/programs/diversion/", DiversionConsumer.as_asgi())]

    def person_timeline(self, person) -> list[TimelineItem]:
        return [
            TimelineItem(
                at=d.ended_at or d.transferred_at,
                kind="911 diversion",
                title=f"911 call diverted to a clinician (CAD {d.cad_incident_id})",
                status=d.get_status_display(),
                open=d.is_open,
            )
            for d in Diversion.objects.filter(call__person=person).order_by("pk")
        ]
