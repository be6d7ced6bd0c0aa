"""The community responders program's plug-in: referrals to partner services, followed until the loop closes."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from programs.plugins import ProgramPlugin, TimelineItem

from .models import Referral


class CommunityRespondersPlugin(ProgramPlugin):
    app_label = "community_responders"

    def urls(self) -> list:
        from .urls import urlpatterns

        return urlpatterns

    def nav_links(self, user) -> list[tuple[str, str]]:
        from . import selectors

        if not selectors.may_list_referrals(user):
            return []
        return [("Referrals", reverse("programs:community_responders:referrals"))]

    def person_timeline(self, person) -> list[TimelineItem]:
        now = timezone.now()
        url = reverse("programs:community_responders:referrals")
        return [
            TimelineItem(
                at=r.status_changed_at,
                kind="referral",
                title=f"Referral to {r.agency}: {r.service} (call #{r.call_id})",
                status=r.get_status_display(),
                url=f"{url}#referral-{r.pk}" if r.is_open else "",
                open=r.is_open,
                overdue=r.is_overdue(now),
            )
            for r in Referral.objects.filter(call__person=person).order_by("pk")
        ]
