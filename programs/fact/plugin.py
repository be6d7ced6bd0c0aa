"""The FACT program's plug-in: its routing rules, its pages, its clients on the person page and as a caseload column,
and a client's care-plan essentials on the phone of the team answering a call about them."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone

from crisis import permissions
from crisis.people import move_references
from programs.plugins import BriefSection, CareItem, ProgramPlugin, ReportColumn, TimelineItem

from .models import Enrollment
from .routing import FactRouting


def enrolled_clients(*, team_ids, start_at, end_at, end_date) -> dict[int, int]:
    """Open enrollments per team on the last day of the range."""
    return dict(
        Enrollment.objects.filter(team_id__in=team_ids, enrolled_on__lte=end_date)
        .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gt=end_date))
        .values_list("team")
        .annotate(n=Count("id"))
        .order_by()
    )


# FACT sees each client at least weekly (assertive community treatment: frequent contact in the community); a
# client with no contact for this long is due one and shows on the caseload of the client's team.
CONTACT_EVERY = timedelta(days=7)


class FactPlugin(FactRouting, ProgramPlugin):
    app_label = "fact"

    def urls(self) -> list:
        from .urls import urlpatterns

        return urlpatterns

    def nav_links(self, user) -> list[tuple[str, str]]:
        from . import selectors

        if permissions.is_care_supervisor.test(user) or (
            permissions.may_list_caseload.test(user) and selectors.is_fact_member(user)
        ):
            return [("FACT caseload", reverse("programs:fact:caseload"))]
        return []

    def person_actions(self, person, user) -> list[tuple[str, str]]:
        if not self.nav_links(user) or Enrollment.objects.filter(person=person, discharged_on__isnull=True).exists():
            return []
        return [("Enrol with FACT", reverse("programs:fact:enrol") + f"?person={person.pk}")]

    def report_columns(self) -> list[ReportColumn]:
        return [
            ReportColumn(
                report="caseload",
                key="enrolled",
                label="Enrolled clients (FACT)",
                compute=enrolled_clients,
                note="Enrolled: open FACT enrollments on the last day of the range.",
            )
        ]

    def person_timeline(self, person) -> list[TimelineItem]:
        def at(day):
            return timezone.make_aware(datetime.combine(day, time.min))

        items = []
        for e in (
            Enrollment.objects.filter(person=person).select_related("team").prefetch_related("contacts").order_by("pk")
        ):
            url = reverse("programs:fact:client", args=[e.pk])
            items.append(
                TimelineItem(
                    at=at(e.enrolled_on),
                    kind="enrolment",
                    title=f"Enrolled with FACT team {e.team.name}"
                    + (f" ({e.get_justice_involvement_display().lower()})" if e.justice_involvement else ""),
                    status="enrolled" if e.discharged_on is None else "",
                    url=url,
                    open=e.discharged_on is None,
                )
            )
            if e.discharged_on is not None:
                items.append(
                    TimelineItem(
                        at=at(e.discharged_on),
                        kind="enrolment",
                        title=f"Discharged from {e.team.name}"
                        + (f": {e.get_discharge_reason_display()}" if e.discharge_reason else ""),
                        status="discharged",
                        url=url,
                    )
                )
            for c in sorted(e.contacts.all(), key=lambda c: c.pk):
                items.append(
                    TimelineItem(
                        at=c.at,
                        kind="FACT contact",
                        title=f"{c.get_method_display()} by {e.team.name}",
                        status="reached" if c.reached else "not reached",
                        url=url,
                    )
                )
        return items

    def call_brief(self, call, user) -> list[BriefSection]:
        from . import selectors

        brief = selectors.care_brief_for_call(call, by=user, now=timezone.now())
        if brief is None:
            return []
        e = brief.enrollment
        lines = [f"Crisis plan: {brief.crisis_plan}" if brief.crisis_plan else "No crisis plan written yet."]
        lines += [f"Goal: {g}" for g in brief.goals]
        on_call = brief.on_call
        return [
            BriefSection(
                title=f"FACT client of {e.team.name}",
                lines=tuple(lines),
                note="Care-plan essentials only; the full record is on the FACT caseload. This view is audited.",
                phone=on_call.member.phone if on_call else "",
                phone_label=f"On call: {on_call.member.get_full_name() or on_call.member}" if on_call else "",
            )
        ]

    def offer_recipients(self, call, team) -> frozenset[int] | None:
        from . import selectors

        return selectors.after_hours_on_call(call, team, now=timezone.now())

    def person_merge(self, *, keep, merge) -> dict[str, list[int]]:
        return move_references(Enrollment, "person", keep=keep, merge=merge)

    def caseload_items(self, user, *, until) -> list[CareItem]:
        if not permissions.may_list_caseload.test(user):
            return []
        qs = Enrollment.objects.filter(discharged_on__isnull=True).select_related("person", "team")
        if not permissions.is_care_supervisor.test(user):
            qs = qs.filter(team_id=permissions.active_team_id(user))
        items = []
        for e in qs.annotate(last_contact=Max("contacts__at")):
            since = e.last_contact or timezone.make_aware(datetime.combine(e.enrolled_on, time.min))
            due = since + CONTACT_EVERY
            if due < until:
                items.append(
                    CareItem(
                        key=f"fact.enrollment:{e.pk}:contact:{due.isoformat()}",
                        kind="FACT contact",
                        program="FACT",
                        title=f"FACT contact with {e.person} (last {'contact' if e.last_contact else 'enrolled'} "
                        f"{timezone.localtime(since):%d %b})",
                        due_at=due,
                        url=reverse("programs:fact:client", args=[e.pk]),
                        person_id=e.person_id,
                        person_name=str(e.person),
                        team_id=e.team_id,
                        team_name=e.team.name,
                    )
                )
        return items
