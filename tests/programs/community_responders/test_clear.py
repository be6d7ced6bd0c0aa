"""Community responders at clear: the wellness check's outcome and a referral, written with the clear or not at all.

Covers community_responders.services.call_outcome_record, the plug-in's clear hooks and dispatch's call_clear, which
runs them inside the clear's transaction, and the outcome table on the program outcomes report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.errors import Conflict, InvalidInput
from crisis.models import AuditEntry
from dispatch import services as dispatch
from dispatch.models import Call, Status
from programs import plugins
from programs.community_responders.models import CallOutcome, Partner, Referral
from programs.community_responders.plugin import count_outcomes
from programs.community_responders.services import CLEAR_REFERRAL_SERVICE
from programs.models import Program
from tests.conftest import CENTER, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_c(db):
    """A community responders' team: cleo and cal."""
    program = Program.objects.create(
        name="Community Responders",
        kind="community_responder",
        tiers=["community"],
        center_latitude=CENTER[0],
        center_longitude=CENTER[1],
        radius_km=50,
    )
    team, _ = make_team(
        "Team C", program, members=[("cleo", "peer_specialist", ["en"], []), ("cal", "peer_specialist", ["en"], [])]
    )
    return team


@pytest.fixture
def cleo(team_c):
    return team_c.members.get(user__username="cleo").user


def on_scene(new_call, dana, team, by, call_type="welfare_check"):
    call = new_call(call_type=call_type, nature="No answer at the door for two days")
    dispatch.call_triage(call=call, screen={}, by=dana)
    dispatch.call_assign(call=call, team=team, by=dana, reason="radio")
    dispatch.call_advance(call=Call.objects.get(pk=call.pk), to=Status.ON_SCENE, by=by)
    return Call.objects.get(pk=call.pk)


def test_the_clear_form_asks_a_community_team_only(team_c, team_a, partner):
    (questions,) = plugins.clear_questions(team_c)
    assert [v for v, _ in questions.outcomes["welfare_check"]][:2] == ["found_safe", "found_needs_met"]
    assert "deescalated" in [v for v, _ in questions.outcomes["social_disturbance"]]
    assert list(questions.partners) == [(partner.pk, "Northside Clinic")]
    assert list(questions.referral_required_for) == ["found_referred"]
    assert sorted(questions.referral_refused_for) == ["declined", "found_safe", "moved_on", "not_found"]
    assert plugins.clear_questions(team_a) == []


def test_one_clear_writes_the_outcome_and_the_referral(new_call, dana, team_c, cleo, partner):
    call = on_scene(new_call, dana, team_c, cleo)
    answers = {"outcome": "found_referred", "referral_partner": str(partner.pk), "referral_service": "Intake"}
    dispatch.call_clear(call=call, disposition="referred", by=cleo, answers=answers)
    call.refresh_from_db()
    assert call.status == Status.CLOSED
    outcome = CallOutcome.objects.get(call=call)
    assert (outcome.outcome, outcome.recorded_by) == ("found_referred", cleo)
    referral = Referral.objects.get(call=call)
    assert (referral.partner, referral.service, referral.owner, referral.status) == (partner, "Intake", cleo, "sent")
    entry = AuditEntry.objects.get(action="community_responders.call_outcome.recorded")
    assert (entry.actor, entry.detail["outcome"]) == (cleo, "found_referred")


def test_a_referral_without_a_service_named_says_so(new_call, dana, team_c, cleo, partner):
    call = on_scene(new_call, dana, team_c, cleo)
    answers = {"outcome": "found_referred", "referral_partner": str(partner.pk), "referral_service": ""}
    dispatch.call_clear(call=call, disposition="referred", by=cleo, answers=answers)
    assert Referral.objects.get(call=call).service == CLEAR_REFERRAL_SERVICE


def test_no_answers_clear_as_before(new_call, dana, team_c, cleo):
    call = on_scene(new_call, dana, team_c, cleo)
    dispatch.call_clear(call=call, disposition="stabilized", by=cleo)
    assert Call.objects.get(pk=call.pk).status == Status.CLOSED
    assert not CallOutcome.objects.exists()


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"outcome": "deescalated"}, "outcome"),  # a social disturbance's outcome on a wellness check
        ({"outcome": "lost"}, "outcome"),
        ({"referral_partner": "PARTNER"}, "outcome"),  # a referral but no outcome
        ({"outcome": "found_referred"}, "referral_partner"),  # referred, to nobody
        ({"outcome": "found_referred", "referral_partner": "999999"}, "referral_partner"),
        ({"outcome": "found_referred", "referral_partner": "x"}, "referral_partner"),
        ({"outcome": "found_safe", "mood": "fine"}, "answers"),  # a question no program asked
    ],
)
def test_bad_answers_leave_the_call_open_and_nothing_saved(new_call, dana, team_c, cleo, partner, answers, field):
    call = on_scene(new_call, dana, team_c, cleo)
    answers = {k: str(partner.pk) if v == "PARTNER" else v for k, v in answers.items()}
    with pytest.raises(InvalidInput) as exc:
        dispatch.call_clear(call=call, disposition="stabilized", by=cleo, answers=answers)
    assert exc.value.field == field
    assert Call.objects.get(pk=call.pk).status == Status.ON_SCENE
    assert not CallOutcome.objects.exists() and not Referral.objects.exists()


@pytest.mark.parametrize(
    ("call_type", "outcome"),
    [
        ("welfare_check", "found_safe"),  # "no needs", yet referred
        ("welfare_check", "not_found"),  # nobody there to refer
        ("welfare_check", "declined"),  # contact refused, yet referred
        ("social_disturbance", "declined"),
        ("social_disturbance", "moved_on"),  # the person gone
    ],
)
def test_an_outcome_that_says_nobody_was_referred_with_a_referral_is_refused(
    new_call, dana, team_c, cleo, partner, call_type, outcome
):
    call = on_scene(new_call, dana, team_c, cleo, call_type=call_type)
    with pytest.raises(InvalidInput) as exc:
        dispatch.call_clear(
            call=call,
            disposition="stabilized",
            by=cleo,
            answers={"outcome": outcome, "referral_partner": str(partner.pk), "referral_service": "Intake"},
        )
    assert exc.value.field == "referral_partner" and "nobody was referred" in str(exc.value)
    assert Call.objects.get(pk=call.pk).status == Status.ON_SCENE
    assert not CallOutcome.objects.exists() and not Referral.objects.exists()
    # The same outcome alone is a good clear.
    dispatch.call_clear(call=call, disposition="stabilized", by=cleo, answers={"outcome": outcome})
    assert CallOutcome.objects.get(call=call).outcome == outcome and not Referral.objects.exists()


@pytest.mark.parametrize(
    ("call_type", "outcome"),
    [
        ("welfare_check", "found_needs_met"),  # met on scene, and a referral for what comes next
        ("welfare_check", "handed_on"),
        ("social_disturbance", "deescalated"),
    ],
)
def test_outcomes_that_may_bring_a_referral_take_one(new_call, dana, team_c, cleo, partner, call_type, outcome):
    call = on_scene(new_call, dana, team_c, cleo, call_type=call_type)
    answers = {"outcome": outcome, "referral_partner": str(partner.pk), "referral_service": "Intake"}
    dispatch.call_clear(call=call, disposition="stabilized", by=cleo, answers=answers)
    assert CallOutcome.objects.get(call=call).outcome == outcome
    assert Referral.objects.get(call=call).partner == partner


def test_an_inactive_partner_is_refused(new_call, dana, team_c, cleo, partner):
    Partner.objects.filter(pk=partner.pk).update(active=False)
    call = on_scene(new_call, dana, team_c, cleo)
    with pytest.raises(InvalidInput):
        dispatch.call_clear(
            call=call,
            disposition="stabilized",
            by=cleo,
            answers={"outcome": "found_referred", "referral_partner": str(partner.pk)},
        )
    assert Call.objects.get(pk=call.pk).status == Status.ON_SCENE


def test_a_failing_close_rolls_the_answers_back(new_call, dana, team_c, cleo, partner):
    call = on_scene(new_call, dana, team_c, cleo)
    with pytest.raises(InvalidInput):
        dispatch.call_clear(
            call=call,
            disposition="nonsense",
            by=cleo,
            answers={"outcome": "found_referred", "referral_partner": str(partner.pk)},
        )
    assert not CallOutcome.objects.exists() and not Referral.objects.exists()


def test_answers_on_another_programs_call_are_refused(new_call, dana, team_a, rita):
    call = on_scene(new_call, dana, team_a, rita)
    with pytest.raises(InvalidInput) as exc:
        dispatch.call_clear(call=call, disposition="stabilized", by=rita, answers={"outcome": "found_safe"})
    assert exc.value.field == "answers"
    assert Call.objects.get(pk=call.pk).status == Status.ON_SCENE


def test_the_outcome_is_recorded_once(new_call, dana, team_c, cleo):
    from programs.community_responders import services

    call = on_scene(new_call, dana, team_c, cleo)
    services.call_outcome_record(call=call, by=cleo, outcome="found_safe")
    with pytest.raises(Conflict):
        services.call_outcome_record(call=call, by=cleo, outcome="not_found")


def test_the_report_counts_the_outcomes(new_call, dana, team_c, cleo):
    call = on_scene(new_call, dana, team_c, cleo, call_type="social_disturbance")
    dispatch.call_clear(call=call, disposition="stabilized", by=cleo, answers={"outcome": "deescalated"})
    (table,) = [r for r in plugins.outcome_reports() if r.key == "community_outcomes"]
    now = timezone.now()
    span = {"start_at": now - timedelta(days=1), "end_at": now + timedelta(days=1), "period": "day"}
    rows = table.count(**span, tz=timezone.get_current_timezone(), program_id=team_c.program_id)
    assert [(outcome, n) for _, outcome, n in rows] == [("deescalated", 1)]
    assert count_outcomes(**span, tz=timezone.get_current_timezone(), program_id=team_c.program_id + 1000) == []


def test_over_the_api_bad_answers_are_a_400_and_good_ones_one_clear(client, new_call, dana, team_c, cleo, partner):
    call = on_scene(new_call, dana, team_c, cleo)
    client.force_login(cleo)
    url = f"/api/calls/{call.pk}/clear/"
    body = {"disposition": "referred", "expected_status": "on_scene", "answers": {"outcome": "found_referred"}}
    res = client.post(url, body, content_type="application/json")
    assert res.status_code == 400 and "choose the partner" in res.content.decode()
    assert Call.objects.get(pk=call.pk).status == Status.ON_SCENE
    # Found safe with no needs, yet a referral: contradictory, refused with the reason, nothing saved.
    contradiction = body | {"answers": {"outcome": "found_safe", "referral_partner": str(partner.pk)}}
    res = client.post(url, contradiction, content_type="application/json")
    assert res.status_code == 400 and "nobody was referred" in res.content.decode()
    assert Call.objects.get(pk=call.pk).status == Status.ON_SCENE and not CallOutcome.objects.exists()
    body["answers"] |= {"referral_partner": str(partner.pk), "referral_service": ""}
    assert client.post(url, body, content_type="application/json").status_code == 200
    assert (
        CallOutcome.objects.get(call=call).outcome == "found_referred"
        and Referral.objects.filter(call=call).count() == 1
    )


def test_the_phone_page_carries_the_questions(client, team_c, cleo, partner):
    client.force_login(cleo)
    res = client.get("/responder/")
    page = res.content.decode()
    assert "found_safe" in page and "Northside Clinic" in page


@pytest.mark.parametrize(
    ("call_type", "disposition", "outcome"),
    [
        ("welfare_check", "referred", "found_safe"),  # referred, yet "no needs"
        ("welfare_check", "referred", "not_found"),
        ("social_disturbance", "referred", "moved_on"),
        ("welfare_check", "no_contact", "found_safe"),  # no contact, yet found
        ("welfare_check", "no_contact", "found_needs_met"),
        ("welfare_check", "no_contact", "found_referred"),
        ("social_disturbance", "no_contact", "deescalated"),
    ],
)
def test_an_outcome_that_contradicts_the_disposition_is_refused(
    new_call, dana, team_c, cleo, partner, call_type, disposition, outcome
):
    call = on_scene(new_call, dana, team_c, cleo, call_type=call_type)
    answers = {"outcome": outcome}
    if outcome == "found_referred":
        answers |= {"referral_partner": str(partner.pk), "referral_service": "Intake"}
    with pytest.raises(InvalidInput) as exc:
        dispatch.call_clear(call=call, disposition=disposition, by=cleo, answers=answers)
    assert exc.value.field == "outcome" and "disagree" in str(exc.value)
    assert Call.objects.get(pk=call.pk).status == Status.ON_SCENE
    assert not CallOutcome.objects.exists() and not Referral.objects.exists()


@pytest.mark.parametrize(
    ("call_type", "disposition", "outcome"),
    [
        ("welfare_check", "referred", "found_needs_met"),
        ("welfare_check", "no_contact", "not_found"),
        ("social_disturbance", "no_contact", "moved_on"),
        ("welfare_check", "stabilized", "found_safe"),
    ],
)
def test_a_disposition_and_outcome_that_agree_clear(new_call, dana, team_c, cleo, call_type, disposition, outcome):
    call = on_scene(new_call, dana, team_c, cleo, call_type=call_type)
    dispatch.call_clear(call=call, disposition=disposition, by=cleo, answers={"outcome": outcome})
    assert (Call.objects.get(pk=call.pk).disposition, CallOutcome.objects.get(call=call).outcome) == (
        disposition,
        outcome,
    )
