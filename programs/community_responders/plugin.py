"""The community responders program's plug-in: referrals to partner services, followed until the loop closes."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from crisis import permissions
from crisis.errors import InvalidInput
from programs.models import ProgramKind
from programs.plugins import CareItem, ClearQuestions, OutcomeReport, ProgramPlugin, TimelineItem, count_per_period

from .models import OPEN_STATUSES, OUTCOMES_BY_CALL_TYPE, CallOutcome, ClearOutcome, Partner, Referral, ReferralStatus

# How a referral's loop closed: the person went, did not, or the partner or the person said no.
ENDED = tuple((s.value, s.label) for s in ReferralStatus if s.value not in OPEN_STATUSES)


def count_ended(*, start_at, end_at, period: str, tz, program_id: int | None):
    """Referrals that ended in the range, by the period of their last status change and that status."""
    referrals = Referral.objects.exclude(status__in=OPEN_STATUSES).filter(
        status_changed_at__gte=start_at, status_changed_at__lt=end_at
    )
    if program_id is not None:
        referrals = referrals.filter(call__team__program_id=program_id)
    return count_per_period(referrals, at="status_changed_at", by="status", period=period, tz=tz)


def count_outcomes(*, start_at, end_at, period: str, tz, program_id: int | None):
    """Outcomes the teams recorded at clear in the range, by the period they were recorded in."""
    outcomes = CallOutcome.objects.filter(at__gte=start_at, at__lt=end_at)
    if program_id is not None:
        outcomes = outcomes.filter(call__team__program_id=program_id)
    return count_per_period(outcomes, at="at", by="outcome", period=period, tz=tz)


# The answer keys of the phone's clear form this program takes.
ANSWERS = frozenset({"outcome", "referral_partner", "referral_service"})


def _is_ours(team) -> bool:
    return team is not None and team.program.kind == ProgramKind.COMMUNITY_RESPONDER


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

    def outcome_reports(self) -> list[OutcomeReport]:
        return [
            OutcomeReport(
                key="referrals",
                title="Referrals: how the loop closed",
                outcomes=ENDED,
                count=count_ended,
                rate=(ReferralStatus.ATTENDED.value, "Loop closed (attended)"),
                note="Referrals to partner services that ended in the period, by how they ended; a program filter "
                "keeps the referrals made on its teams' calls.",
            ),
            OutcomeReport(
                key="community_outcomes",
                title="Community responders: outcome at clear",
                outcomes=tuple(ClearOutcome.choices),
                count=count_outcomes,
                note="Wellness checks and social disturbances as the community responders' team recorded them "
                "when clearing the call, counted by when it was recorded.",
            ),
        ]

    def clear_questions(self, team) -> ClearQuestions | None:
        from . import services

        if not _is_ours(team):
            return None
        labels = dict(ClearOutcome.choices)
        return ClearQuestions(
            outcome_label="What happened for the person",
            outcomes={ct: [(o, labels[o]) for o in values] for ct, values in OUTCOMES_BY_CALL_TYPE.items()},
            partners=[(p.pk, p.name) for p in Partner.objects.filter(active=True).order_by("name")],
            referral_label="Referred to (optional)",
            referral_required_for=services.REFERRAL_REQUIRED_FOR,
            referral_refused_for=services.REFERRAL_REFUSED_FOR,
        )

    def clear_record(self, call, *, by, disposition, answers) -> set[str]:
        from . import services

        if not _is_ours(call.team) or not (ANSWERS & set(answers)):
            return set()
        partner = None
        if answers.get("referral_partner"):
            try:
                partner = Partner.objects.filter(pk=int(answers["referral_partner"]), active=True).first()
            except (TypeError, ValueError):
                partner = None
            if partner is None:
                raise InvalidInput(
                    "That partner service no longer takes referrals: choose another.", field="referral_partner"
                )
        if not answers.get("outcome"):
            raise InvalidInput("Choose what happened for the person.", field="outcome")
        services.call_outcome_record(
            call=call,
            by=by,
            outcome=answers["outcome"],
            disposition=disposition,
            partner=partner,
            service=answers.get("referral_service", ""),
        )
        return set(ANSWERS & set(answers))

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

    def caseload_items(self, user, *, until) -> list[CareItem]:
        from . import selectors

        if not selectors.may_list_referrals(user):
            return []
        qs = Referral.objects.filter(status__in=OPEN_STATUSES, due_at__lt=until)
        if not permissions.is_care_supervisor.test(user):
            # One's own referrals, and the unowned ones of one's team's calls.
            qs = qs.filter(Q(owner=user) | Q(owner__isnull=True, call__team_id=permissions.active_team_id(user)))
        return [_care_item(r) for r in qs.select_related("call__person", "call__team", "owner")]

    def stalled_items(self, *, now) -> list[CareItem]:
        qs = Referral.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now)
        return [_care_item(r) for r in qs.select_related("call__person", "call__team", "owner")]


def _care_item(r: Referral) -> CareItem:
    """A referral's owner closes the loop; with no owner, the team of its call does."""
    person, team = r.call.person, r.call.team
    return CareItem(
        key=f"community_responders.referral:{r.pk}:{r.status}:{r.due_at.isoformat()}",
        kind="referral",
        program="Referrals",
        title=f"Referral to {r.agency}: {r.service} ({r.get_status_display().lower()})"
        + (f" for {person}" if person else ""),
        due_at=r.due_at,
        url=reverse("programs:community_responders:referrals") + f"#referral-{r.pk}",
        person_id=person.pk if person else None,
        person_name=str(person) if person else "",
        owner_id=r.owner_id,
        owner_name=(r.owner.get_full_name() or r.owner.get_username()) if r.owner else "",
        team_id=team.pk if team else None,
        team_name=team.name if team else "",
    )
