"""The server-rendered forms with the same nasty values: a form error, a redirect or a refusal, never a 500.

The test client re-raises an unhandled exception, so a 500 fails with its traceback.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.utils import timezone

from dispatch import triage
from dispatch.models import CallEvent

from .conftest import ROLES
from .test_nasty_inputs import _rolled_back

OK = (200, 302, 400, 403, 404, 409)

NASTY = {
    "nul": "\x00",
    "nul-inside": "Lake\x00St",
    "huge-string": "x" * 100_000,
    "unicode": "Zoë 💥 \u202eRTL\u200b 日本語",
    "spaces": "   ",
    "nan": "nan",
    "inf": "-inf",
    "1e999": "1e999",
    "huge-int": str(10**20),
    "int64-overflow": str(2**63),
    "negative": "-1",
    "superscript-digit": "²",
    "fullwidth-digits": "１２",
    "date-edge": "9999-12-31",
    "bool-word": "on",
}

INTAKE = {
    "source": "911",
    "caller_name": "Neighbor",
    "callback_number": "312-555-0101",
    "person_description": "Man in his 40s",
    "address": "1200 W Lake St",
    "latitude": "41.8781",
    "longitude": "-87.6298",
    "location_type": "residence",
    "area_type": "urban",
    "call_type": "mental_health",
    "nature": "Shouting",
    "narrative": "n",
    "language": "en",
}


def _forms(world):
    c, person = world.calls, world.person.pk
    return [
        ("dispatcher", "/dispatch/calls/new/", INTAKE | {"person": person}),
        (
            "officer",
            "/dispatch/officer/",
            {k: INTAKE[k] for k in ("callback_number", "person_description", "address")}
            | {"location_type": "street", "call_type": "mental_health", "nature": "x", "narrative": "y"},
        ),
        (
            "dispatcher",
            f"/dispatch/calls/{c['received'].pk}/triage/",
            {name: "on" for name in triage.SCREEN_FIELDS[:3]} | {"tier_override": "community", "override_reason": "r"},
        ),
        ("dispatcher", f"/dispatch/calls/{c['working'].pk}/close/", {"disposition": "resolved_on_scene", "note": "n"}),
        ("dispatcher", f"/dispatch/calls/{c['triaged'].pk}/cancel/", {"reason": "duplicate"}),
        ("dispatcher", f"/dispatch/calls/{c['triaged'].pk}/resolve/", {"note": "talked"}),
        ("dispatcher", f"/dispatch/calls/{c['triaged'].pk}/assign/", {"team": world.team_a.pk, "reason": "closest"}),
        ("dispatcher", f"/dispatch/calls/{c['offered'].pk}/confirm/", {"anything": "x"}),
        ("supervisor", f"/dispatch/calls/{c['triaged'].pk}/assign/", {"team": world.team_a.pk, "reason": "closest"}),
        ("clinician", f"/history/people/{person}/", {"purpose": "Consult #1", "reason": "On the bridge, no consent"}),
        (
            "clinician",
            f"/history/people/{person}/plan/",
            {"purpose": "Consult #1", "triggers": "t", "what_helps": "w", "who_to_call": "c", "officer_view": "on"},
        ),
        (
            "clinician",
            f"/history/people/{person}/consents/",
            {"purpose": "Consult #1", "scope": "part2", "granted_on": "2026-01-02", "document": "EHR"},
        ),
        (
            "clinician",
            f"/programs/diversion/{world.diversion.pk}/document/",
            {"counselling_note": "n", "needs": "housing", "safety_plan": "p"},
        ),
        ("clinician", f"/programs/diversion/{world.diversion.pk}/refer/", {"partner": "1", "service": "Intake"}),
        (
            "clinician",
            f"/programs/diversion/{world.diversion.pk}/end/",
            {"action": "resolve", "screen_si_thoughts": "on", "note": "n"},
        ),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_nasty_values_in_every_form_field_are_never_a_500(client, world, encoding):
    for role, url, body in _forms(world):
        client.force_login(world.users[role])
        for key in [*body, "unexpected"]:
            for value_name, value in NASTY.items():
                with _rolled_back():
                    events = CallEvent.objects.count()
                    data = body | {key: value}
                    if encoding == "urlencoded":
                        response = client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")
                    else:
                        response = client.post(url, data)
                    where = f"{url} {key}={value_name}"
                    assert response.status_code in OK, (where, response.status_code)
                    if response.status_code == 200:
                        # Re-rendered with form errors: nothing may have been written.
                        assert CallEvent.objects.count() == events, where


@pytest.mark.django_db
@pytest.mark.parametrize("value", list(NASTY.values()), ids=list(NASTY))
def test_login_with_nasty_credentials_is_a_form_error(client, world, value):
    for data in ({"username": value, "password": value}, {"username": "dana", "password": value}):
        response = client.post("/login/", data)
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_repeated_keys_in_a_form_take_one_value_and_are_never_a_500(client, world):
    client.force_login(world.users["dispatcher"])
    query = urlencode([*INTAKE.items(), ("latitude", "nan"), ("source", "\x00"), ("person", "x")])
    response = client.post("/dispatch/calls/new/", query, content_type="application/x-www-form-urlencoded")
    assert response.status_code in OK


# The permission each form needs, by the end of its URL (crisis/roles.py grants them per role).
FORM_PERMS = {
    "/new/": "dispatch.add_call",
    "/officer/": "dispatch.request_response",
    "/triage/": "dispatch.triage_call",
    "/close/": "dispatch.close_call",
    "/cancel/": "dispatch.close_call",
    "/resolve/": "dispatch.close_call",
    "/assign/": "dispatch.assign_call",
    "/confirm/": "dispatch.assign_call",
    "/plan/": "history.edit_response_plan",
    "/consents/": "history.edit_response_plan",
    "/document/": "diversion.work_diversion",
    "/refer/": "diversion.work_diversion",
    "/end/": "diversion.work_diversion",
    # Last, as the catch-all: /history/people/<id>/ (a view with a break-the-glass reason).
    "/": "history.search_history",
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_form_checks_the_role(client, world, role):
    """A role without the form's permission gets a 403 and changes nothing; nor does anyone signed out."""
    user = world.users[role]
    client.force_login(user)
    for _form_role, url, body in _forms(world):
        perm = next(p for suffix, p in FORM_PERMS.items() if url.endswith(suffix))
        with _rolled_back():
            events = CallEvent.objects.count()
            response = client.post(url, body)
            if user.has_perm(perm):
                assert response.status_code in OK, (url, response.status_code)
            else:
                assert response.status_code == 403, (url, response.status_code)
                assert CallEvent.objects.count() == events
    client.logout()
    for _form_role, url, body in _forms(world):
        response = client.post(url, body)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def _fact_forms(world):
    e = world.enrollment
    goal = e.goals.get()
    base = f"/programs/fact/clients/{e.pk}"
    today = timezone.localdate().isoformat()
    return [
        (
            "/programs/fact/enrol/",
            {"person": world.person.pk, "team": e.team_id, "serious_mental_illness": "on"}
            | {"justice_involvement": "parole", "arrests_before": "1", "jail_days_before": "2"}
            | {"hospital_days_before": "3", "enrolled_on": today, "crisis_plan": "p", "diagnosis": "d"},
        ),
        (f"{base}/contact/", {"contact-method": "visit", "contact-reached": "yes", "contact-note": "n"}),
        (f"{base}/goal/", {"goal-text": "t", "goal-target_on": today}),
        (f"{base}/outcome/", {"outcome-kind": "jail", "outcome-on": today, "outcome-days": "2", "outcome-note": "n"}),
        (f"{base}/plan/", {"plan-crisis_plan": "p"}),
        (f"/programs/fact/goals/{goal.pk}/status/", {f"g{goal.pk}-status": "met"}),
        (
            f"/programs/fact/teams/{e.team_id}/on-call/",
            {f"t{e.team_id}-member": e.team.members.get().user_id}
            | {f"t{e.team_id}-starts_at": "2030-01-01T08:00", f"t{e.team_id}-ends_at": "2030-01-01T20:00"},
        ),
        (f"{base}/discharge/", {"discharge-reason": "moved", "discharge-note": "n", "discharge-discharged_on": today}),
        (
            "/programs/crisis_stabilization/",
            {"new-person": world.person.pk, "new-team": world.episode.team_id, "new-owner": world.episode.owner_id}
            | {"new-goals": "g", "new-planned_end_on": today, "new-due_at": "2030-01-01T08:00"},
        ),
        (
            f"/programs/crisis_stabilization/episodes/{world.episode.pk}/contact/",
            {"contact-method": "visit", "contact-reached": "yes", "contact-next_due_at": "2030-01-01T08:00"},
        ),
        (f"/programs/crisis_stabilization/episodes/{world.episode.pk}/close/", {"close-outcome": "stabilized"}),
    ]


@pytest.mark.django_db
def test_nasty_values_in_the_care_forms_are_never_a_500(client, world):
    client.force_login(world.users["supervisor"])
    for url, body in _fact_forms(world):
        for key in [*body, "unexpected"]:
            for value_name, value in NASTY.items():
                with _rolled_back():
                    response = client.post(
                        url, urlencode(body | {key: value}), content_type="application/x-www-form-urlencoded"
                    )
                    assert response.status_code in OK, (f"{url} {key}={value_name}", response.status_code)
