"""Property-based fuzzing of the whole REST API from its own OpenAPI schema, as every role.

Schemathesis generates requests (valid and invalid) from the schema drf-spectacular serves at /api/schema/;
each goes in-process through Django's test handler, authenticated with the role's API token, against a
demo-like world (tests/fuzz/conftest.py). Checks: never a 5xx, and the response conforms to the schema.
Bounded for CI: a fixed number of examples per operation and role, derandomized so a run is reproducible.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.test.client import ClientHandler
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.factories import api_token

from .conftest import ROLES

MAX_EXAMPLES = 8
# Ids 1..8 hit the world's real calls, teams, assignments and person; the rest are whatever was generated.
REAL_IDS = 8

_handler = ClientHandler(enforce_csrf_checks=False)


def wsgi_app(environ, start_response):
    """Django's test handler behind a WSGI face: keeps the test's database transaction open."""
    response = _handler(environ)
    headers = list(response.items())
    headers += [("Set-Cookie", c.output(header="").strip()) for c in response.cookies.values()]
    start_response(f"{response.status_code} {response.reason_phrase}", headers)
    return response.streaming_content if response.streaming else [response.content]


def _load_schema(*, coverage: bool):
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    schema.app = wsgi_app
    # The coverage phase sends every boundary case the schema defines, whatever max_examples says: it is the
    # thorough part and the slow one, so it runs for the roles that reach every write (the dispatch desk and
    # a responder); the other roles get the random phase only.
    schema.config.phases.coverage.enabled = coverage
    # The schema and its docs page take no input worth fuzzing, and rendering the schema is slow.
    return schema.exclude(path_regex=r"^/api/(schema|docs)/")


schema = _load_schema(coverage=True)
schema_random_only = _load_schema(coverage=False)
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _real_ids(case):
    for name, value in (case.path_parameters or {}).items():
        if isinstance(value, int) and value % 4:
            case.path_parameters[name] = 1 + value % REAL_IDS


# Each generated case goes out as every role of the test, in one world: the world is built per test (~0.4 s, more
# than an operation's requests), and the cases are derandomized, so a test per role sent the same cases again.
@pytest.mark.django_db
@schema.parametrize()
@HYPOTHESIS
def test_api_never_fails_and_keeps_its_schema(case, world):
    _real_ids(case)
    for role in ("dispatcher", "responder"):
        _send_and_check(case, role, world)


@pytest.mark.django_db
@schema_random_only.parametrize()
@HYPOTHESIS
def test_api_never_fails_for_the_other_roles(case, world):
    _real_ids(case)
    for role in ROLES:
        if role not in ("dispatcher", "responder"):
            _send_and_check(case, role, world)


# Only supervisors and administrators may read the reports, so the dispatch desk's coverage phase ends at a 403
# there: a supervisor gets the coverage phase on the reports API (every filter's boundary and wrong-type cases).
schema_reports = schema.include(path_regex=r"^/api/reports/")


@pytest.mark.django_db
@schema_reports.parametrize()
@HYPOTHESIS
def test_reports_api_never_fails_for_a_supervisor(case, world):
    _call_and_check(case, "supervisor", world)


# FACT clients and stabilization episodes belong to their team and supervisors: the responder of the world is on
# another team, so a supervisor gets the coverage phase on those APIs.
schema_fact = schema.include(path_regex=r"^/programs/(fact|crisis_stabilization)/api/")


@pytest.mark.django_db
@schema_fact.parametrize()
@HYPOTHESIS
def test_fact_api_never_fails_for_a_supervisor(case, world):
    _call_and_check(case, "supervisor", world)


# People search and the merge of duplicates: supervisors are the only role that merges, so they get the coverage
# phase there (a merge into oneself, an id merged already, a person that does not exist: 400/404/409, never a 500).
schema_people = schema.include(path_regex=r"^/api/people/(duplicates|merges)?/?$")


@pytest.mark.django_db
@schema_people.parametrize()
@HYPOTHESIS
def test_people_api_never_fails_for_a_supervisor(case, world):
    _call_and_check(case, "supervisor", world)


def _call_and_check(case, role, world):
    _real_ids(case)
    _send_and_check(case, role, world)


def _send_and_check(case, role, world):
    """Send the case as `role`. Its ids are made real before (`_real_ids`, once: it is not idempotent)."""
    # One token per role and world: a new one per generated case would add an INSERT and an audit row to each.
    tokens = world.__dict__.setdefault("_tokens", {})
    if role not in tokens:
        tokens[role] = api_token(world.users[role], role=role)
    token = tokens[role]
    response = case.call(base_url="http://testserver", headers={"Authorization": f"Token {token}"})
    assert response.status_code < 500, (
        role,
        case.method,
        case.formatted_path,
        case.query,
        case.body,
        response.text[:500],
    )
    # Not status_code_conformance: the schema documents the success only, and a 400/403/404/409 is the point.
    checks = [not_a_server_error, content_type_conformance, response_schema_conformance]
    if role == "officer" and case.path == "/api/calls/":
        # An officer gets the narrower OfficerCall rows. OpenAPI's oneOf cannot tell them from CallList rows
        # (those have every OfficerCall field too), so the schema documents the staff shape.
        checks.remove(response_schema_conformance)
    case.validate_response(response, checks=checks)


# The integrations' API (EIDO for a CAD, the webhook delivery log) is for administrators and partners' own
# accounts (the integration role): both get the coverage phase there, the other roles only meet its 403s.
schema_integrations = schema.include(path_regex=r"^/(api/integrations|fhir)/")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["administrator", "integration"])
@schema_integrations.parametrize()
@HYPOTHESIS
def test_integrations_api_never_fails_for_an_administrator_or_a_partner(case, role, world):
    if role == "integration" and "integration" not in world.users:
        from integrations.services import partner_create

        # The partner the world's referral was made to: its FHIR Task is this account's to read and move.
        partner, _ = partner_create(
            name="Fuzz partner", by=world.users["administrator"], directory_partner=world.referral.partner
        )
        world.users["integration"] = partner.user
    _call_and_check(case, role, world)
