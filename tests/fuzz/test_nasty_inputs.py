"""Hand-picked nasty inputs the schema-driven generator tends to miss, against every API endpoint.

The platform's rule: no input may cause a 500; bad input gets a clear 400/409 and nothing is half-saved.
The Django test client re-raises an unhandled exception, so a 500 fails these tests with its traceback.
Run them on both databases: NUL bytes and integer overflow fail differently on PostgreSQL and SQLite.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from django.db import transaction

from crisis.models import AuditEntry
from dispatch.models import CallEvent
from tests.conftest import CALL_DEFAULTS

HUGE = 10**20
NASTY = {
    "nul": "\x00",
    "nul-inside": "Lake\x00St",
    "huge-string": "x" * 100_000,
    "unicode": "Zoë 💥 \u202eRTL\u200b 日本語",
    "lone-surrogate": "\ud800",
    "empty": "",
    "spaces": "   ",
    "negative": -1,
    "zero": 0,
    "int64-overflow": 2**63,
    "huge-int": HUGE,
    "huge-float": 1e308,
    "nan-string": "NaN",
    "infinity-string": "Infinity",
    "null": None,
    "list": ["911"],
    "object": {"a": 1},
    "bool": True,
}


def _body(world, name: str) -> dict:
    """A valid body for each endpoint, to mutate one field at a time."""
    return {
        "calls": CALL_DEFAULTS | {"person_id": world.person.pk, "narrative": "n", "language": "en"},
        "triage": {"tier_override": "co_response", "override_reason": "why", "weapons": True},
        "close": {"disposition": "resolved_on_scene", "note": "n", "confirm_units": True},
        "units": {"agency": "police", "unit": "4A12", "incident_number": "P-1"},
        "clear": {"disposition": "resolved_on_scene", "note": "n", "expected_status": "en_route"},
        "cancel": {"reason": "dup"},
        "resolve": {"text": "talked"},
        "assign": {"team_id": world.team_a.pk, "reason": "closest"},
        "advance": {"status": "on_scene", "expected_status": "en_route"},
        "notes": {"text": "hello"},
        "decline": {"reason": "too far"},
        "withdraw": {"reason": "needed elsewhere"},
        "team-status": {"status": "available", "latitude": 41.9, "longitude": -87.6, "expected_version": 0},
        "team-location": {"latitude": 41.9, "longitude": -87.6},
        "sos": {"latitude": 41.9, "longitude": -87.6},
        "follow-up": {"reached": True, "method": "visit", "note": "n", "next_step": "s"},
        "referral": {"call": world.calls["working"].pk, "partner": world.referral.partner_id, "service": "Intake"},
        "referral-status": {"status": "accepted", "note": "n", "due_at": "2030-01-01T10:00:00Z"},
    }[name]


def _endpoints(world) -> list[tuple[str, str, str]]:
    c, team_a, team_b = world.calls, world.team_a.pk, world.team_b.pk
    return [
        ("calls", "dispatcher", "/api/calls/"),
        ("calls", "officer", "/api/calls/"),
        ("triage", "dispatcher", f"/api/calls/{c['received'].pk}/triage/"),
        ("close", "dispatcher", f"/api/calls/{c['working'].pk}/close/"),
        ("clear", "responder_b", f"/api/calls/{c['working'].pk}/clear/"),
        ("clear", "dispatcher", f"/api/calls/{c['working'].pk}/clear/"),
        ("cancel", "dispatcher", f"/api/calls/{c['triaged'].pk}/cancel/"),
        ("resolve", "dispatcher", f"/api/calls/{c['triaged'].pk}/resolve-by-phone/"),
        ("assign", "dispatcher", f"/api/calls/{c['triaged'].pk}/assign/"),
        ("advance", "dispatcher", f"/api/calls/{c['working'].pk}/advance/"),
        ("notes", "dispatcher", f"/api/calls/{c['working'].pk}/notes/"),
        ("units", "dispatcher", f"/api/calls/{c['working'].pk}/units/"),
        ("decline", "responder", f"/api/assignments/{world.offer.pk}/decline/"),
        ("withdraw", "dispatcher", f"/api/assignments/{world.offer.pk}/withdraw/"),
        ("team-status", "responder", f"/api/teams/{team_a}/status/"),
        ("team-status", "supervisor", f"/api/teams/{team_b}/status/"),
        ("team-location", "responder", f"/api/teams/{team_a}/location/"),
        ("sos", "responder", f"/api/teams/{team_a}/sos/"),
        ("follow-up", "responder", f"/programs/mobile_crisis/api/follow-ups/{world.follow_up.pk}/record/"),
        ("follow-up", "supervisor", f"/programs/mobile_crisis/api/follow-ups/{world.follow_up.pk}/record/"),
        ("referral", "responder_b", "/programs/community_responders/api/referrals/"),
        ("referral-status", "responder_b", f"/programs/community_responders/api/referrals/{world.referral.pk}/status/"),
    ]


ENDPOINT_NAMES = [
    "calls",
    "triage",
    "close",
    "clear",
    "cancel",
    "resolve",
    "assign",
    "advance",
    "notes",
    "units",
    "decline",
    "withdraw",
    "team-status",
    "team-location",
    "sos",
    "follow-up",
    "referral",
    "referral-status",
]


def _writes() -> tuple[int, int]:
    return CallEvent.objects.count(), AuditEntry.objects.count()


def _post(client, url, payload, **extra):
    data = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(url, data, content_type=extra.pop("content_type", "application/json"), **extra)


def _check(response, before):
    assert response.status_code < 500, response.content[:500]
    assert response.status_code in (200, 201, 400, 403, 404, 409, 415), response.content[:500]
    if response.status_code >= 400:
        assert _writes() == before, f"a {response.status_code} left rows behind"
        if response.status_code != 415:
            assert response.json(), "an error must say what is wrong"


@contextmanager
def _rolled_back():
    """Each request sees the same world: a success (a closed call, say) does not hide the next input's path."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINT_NAMES)
def test_each_field_with_a_nasty_value_is_never_a_500(client, world, endpoint):
    for name, role, url in _endpoints(world):
        if name != endpoint:
            continue
        client.force_login(world.users[role])
        body = _body(world, name)
        for key in [*body, "unexpected"]:
            for value_name, value in NASTY.items():
                with _rolled_back():
                    before = _writes()
                    response = _post(client, url, body | {key: value})
                    try:
                        _check(response, before)
                    except AssertionError as exc:
                        raise AssertionError(f"{url} {key}={value_name}: {exc}") from None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    ["null", "[]", "[1, 2]", '"a string"', "42", "true", "{", "\x00", b"\xff\xfe\x00garbage"],
)
def test_bodies_that_are_not_an_object_are_a_400(client, world, raw):
    for _name, role, url in _endpoints(world):
        client.force_login(world.users[role])
        before = _writes()
        response = _post(client, url, raw)
        # Every endpoint here takes a body: anything but an object is a 400 with a message, and saves nothing.
        assert response.status_code == 400, (url, raw, response.status_code, response.content[:300])
        _check(response, before)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        "",  # no body at all reads as an empty object: endpoints whose fields are all optional accept it
        '{"latitude": NaN, "longitude": 1}',
        '{"latitude": Infinity, "longitude": -Infinity}',
        '{"reason": "a", "reason": "\\u0000"}',
        '{"text": "a", "text": "b"}',
    ],
)
def test_odd_objects_are_never_a_500_and_never_half_saved(client, world, raw):
    for _name, role, url in _endpoints(world):
        client.force_login(world.users[role])
        with _rolled_back():
            before = _writes()
            _check(_post(client, url, raw), before)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type, data",
    [
        ("text/plain", "reason=dup"),
        ("application/xml", "<reason>dup</reason>"),
        ("application/x-www-form-urlencoded", "reason=dup&reason=%00&text=%00&latitude=nan&longitude=inf"),
        ("application/x-www-form-urlencoded", "status=available&latitude=NaN&longitude=1&expected_version=-1"),
        ("multipart/form-data; boundary=zzz", "--zzz\r\nbroken"),
        ("application/json; charset=latin-1", '{"reason": "caf\xe9"}'),
    ],
)
def test_other_content_types_are_a_4xx(client, world, content_type, data):
    for _name, role, url in _endpoints(world):
        client.force_login(world.users[role])
        before = _writes()
        _check(_post(client, url, data, content_type=content_type), before)


def _form_urlencoded(world):
    """The same nasty values through form-encoded bodies (what a browser or curl -d sends)."""
    for name, role, url in _endpoints(world):
        for key in _body(world, name):
            yield role, url, key


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["\x00", "nan", "inf", "-inf", "1e999", str(HUGE), "-0", "²", "１２"])
def test_form_encoded_nasty_values_are_never_a_500(client, world, value):
    from urllib.parse import urlencode

    for role, url, key in _form_urlencoded(world):
        client.force_login(world.users[role])
        before = _writes()
        response = client.post(url, urlencode({key: value}), content_type="application/x-www-form-urlencoded")
        _check(response, before)


PATH_IDS = ["0", "99999999999999999999", str(2**31), str(2**63), str(2**63 - 1)]
PATH_TEMPLATES = [
    ("GET", "/api/calls/{}/"),
    ("GET", "/api/calls/{}/history/"),
    ("GET", "/api/people/{}/"),
    ("POST", "/api/calls/{}/triage/"),
    ("POST", "/api/calls/{}/close/"),
    ("POST", "/api/calls/{}/cancel/"),
    ("POST", "/api/calls/{}/resolve-by-phone/"),
    ("POST", "/api/calls/{}/assign/"),
    ("POST", "/api/calls/{}/confirm/"),
    ("POST", "/api/calls/{}/advance/"),
    ("POST", "/api/calls/{}/clear/"),
    ("POST", "/api/calls/{}/notes/"),
    ("POST", "/api/assignments/{}/accept/"),
    ("POST", "/api/assignments/{}/decline/"),
    ("POST", "/api/assignments/{}/withdraw/"),
    ("POST", "/api/teams/{}/status/"),
    ("POST", "/api/teams/{}/location/"),
    ("POST", "/api/teams/{}/sos/"),
    ("POST", "/api/alerts/{}/acknowledge/"),
    ("POST", "/programs/mobile_crisis/api/follow-ups/{}/record/"),
    ("POST", "/programs/mobile_crisis/follow-ups/{}/record/"),
    ("POST", "/programs/community_responders/api/referrals/{}/status/"),
    ("POST", "/programs/community_responders/referrals/{}/status/"),
    ("GET", "/api/calls/{}/brief/"),
    ("GET", "/programs/fact/api/enrollments/{}/"),
    ("POST", "/programs/fact/api/enrollments/{}/contacts/"),
    ("POST", "/programs/fact/api/enrollments/{}/discharge/"),
    ("POST", "/programs/fact/api/goals/{}/status/"),
    ("POST", "/programs/fact/api/teams/{}/on-call/"),
    ("GET", "/programs/fact/clients/{}/"),
    ("GET", "/programs/crisis_stabilization/api/episodes/{}/"),
    ("POST", "/programs/crisis_stabilization/api/episodes/{}/contacts/"),
    ("POST", "/programs/crisis_stabilization/api/episodes/{}/close/"),
    ("GET", "/programs/crisis_stabilization/episodes/{}/"),
    ("POST", "/programs/crisis_stabilization/episodes/{}/close/"),
    ("POST", "/programs/fact/clients/{}/contact/"),
    ("POST", "/programs/fact/goals/{}/status/"),
    ("POST", "/programs/fact/teams/{}/on-call/"),
    ("GET", "/people/{}/"),
    ("GET", "/dispatch/calls/{}/"),
    ("POST", "/dispatch/calls/{}/triage/"),
    ("POST", "/dispatch/calls/{}/close/"),
    ("POST", "/dispatch/calls/{}/assign/"),
    ("GET", "/api/integrations/eido/calls/{}/"),
    ("POST", "/api/integrations/deliveries/{}/replay/"),
    ("GET", "/fhir/Task/{}"),
    ("GET", "/fhir/ServiceRequest/{}"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("pk", PATH_IDS)
@pytest.mark.parametrize("role", ["dispatcher", "responder", "administrator"])
def test_out_of_range_ids_in_paths_are_a_404(client, world, pk, role):
    client.force_login(world.users[role])
    for method, template in PATH_TEMPLATES:
        url = template.format(pk)
        before = _writes()
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, "{}", content_type="application/json")
        assert response.status_code in (400, 403, 404, 409), (url, response.status_code)
        assert _writes() == before


QUERY_VALUES = ["\x00", "99999999999999999999", str(2**63), "-1", "abc", "NaN", "1e5", "²", "", "x" * 5000]


# Every value in one test per page: the world (built per test) cost 4 times the requests when each value was a test.
@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, path, params",
    [
        ("dispatcher", "/api/calls/", ["status", "tier", "priority", "program", "open", "limit", "offset"]),
        ("officer", "/api/calls/", ["priority", "limit", "offset"]),
        ("dispatcher", "/api/teams/", ["region"]),
        ("clinician", "/api/people/{person}/", ["purpose"]),
        ("dispatcher", "/api/calls/{call}/history/", ["x"]),
        ("dispatcher", "/dispatch/history/", ["address", "person"]),
        ("dispatcher", "/api/calls/search/", ["number", "address", "callback", "name", "since", "until", "status"]),
        ("dispatcher", "/dispatch/search/", ["number", "address", "callback", "name", "since", "until", "page"]),
        ("dispatcher", "/dispatch/closed/", ["since", "until", "disposition", "team", "page"]),
        ("clinician", "/people/{person}/", ["purpose"]),
        ("supervisor", "/api/reports/intervals/", ["start", "end", "program", "team", "by", "standard", "page"]),
        ("supervisor", "/api/reports/standards/", ["start", "end", "standard", "page"]),
        ("supervisor", "/reports/outcomes/", ["start", "end", "program", "team", "by"]),
        ("supervisor", "/reports/caseload/", ["start", "end", "page"]),
        ("supervisor", "/reports/intervals/summary.csv", ["start", "end", "team"]),
        ("dispatcher", "/api/board/", ["since"]),
        ("responder", "/api/my-team/", ["since"]),
        ("clinician", "/history/", ["name", "date_of_birth", "purpose"]),
        ("clinician", "/history/people/{person}/", ["purpose"]),
        ("officer", "/programs/le_consult/api/snapshot/", ["since"]),
        ("administrator", "/api/integrations/deliveries/", ["status", "endpoint", "limit", "offset"]),
        ("administrator", "/api/integrations/hmis/export/?start=2026-11-01&end=2026-11-30", ["start", "end"]),
    ],
)
def test_nasty_query_parameters_are_never_a_500(client, world, role, path, params):
    client.force_login(world.users[role])
    url = path.format(person=world.person.pk, call=world.calls["triaged"].pk)
    for value in QUERY_VALUES:
        for param in params:
            response = client.get(url, {param: value})
            assert response.status_code in (200, 400, 403, 404), (
                param,
                value[:20],
                response.status_code,
                response.content[:300],
            )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"start": "9999-12-01", "end": "9999-12-31"},
        {"start": "0001-01-01", "end": "0001-01-31"},
        {"end": "0001-01-01"},
        {"start": "9999-12-31"},
        {"end": "9999-12-31"},
        {"page": str(2**63)},
        {"page": "99999999999999999999"},
    ],
)
@pytest.mark.parametrize("name", ["intervals", "standards", "outcomes", "caseload"])
def test_report_dates_at_the_calendar_edges_are_never_a_500(client, world, name, params):
    client.force_login(world.users["supervisor"])
    for url in (f"/reports/{name}/", f"/api/reports/{name}/"):
        response = client.get(url, params)
        assert response.status_code in (200, 400), (url, response.status_code, response.content[:300])


@pytest.mark.django_db
# Header values arrive decoded as Latin-1: "ZoÃ«" is what UTF-8 "Zoë" looks like to the server.
@pytest.mark.parametrize("credential", ["\x00", "a\x00b" * 10, "x" * 10_000, "ZoÃ«", "", " "])
def test_nasty_tokens_and_session_cookies_are_refused_not_a_500(client, world, credential):
    response = client.get("/api/calls/", HTTP_AUTHORIZATION=f"Token {credential}")
    assert response.status_code in (401, 403)
    client.cookies["sessionid"] = credential
    for url in ("/api/calls/", "/dispatch/"):
        response = client.get(url)
        assert response.status_code in (302, 401, 403), (url, response.status_code)
