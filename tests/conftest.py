"""Shared fixtures: named personas, as in healthchecks' hc/test.py.

Personas: dana (dispatcher), cam (clinician), sue (supervisor), oli (officer),
ada (administrator), rita (responder on team A), bo (responder on team B),
and nora, a user with no role at all.

Service markers: a test marked postgres/redis/celery_worker/browser is skipped
with the reason when the service is missing, and fails instead when
REQUIRE_SERVICES=1 (as in CI).
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from crisis.models import Person, User
from programs.models import Program
from responders.models import Team, TeamMember, TeamStatus

PASSWORD = "correct-horse-battery"
CENTER = (41.8781, -87.6298)

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _redis_ok() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


# What `make test` runs after its parallel part, one test at a time: tests that start servers, Celery workers,
# Redis or a browser (timing-sensitive on two cores), and the benches (their own fixed databases and ports).
SERIAL_MARKERS = ("browser", "celery_worker", "faults_ci", "redis")


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on it
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith("tests/bench/") or any(item.get_closest_marker(m) for m in SERIAL_MARKERS):
            item.add_marker(pytest.mark.serial)


def pytest_runtest_setup(item):
    from django.db import connection

    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("PostgreSQL is not configured (set DATABASE_URL=postgres://...)")
    if item.get_closest_marker("redis") or item.get_closest_marker("celery_worker"):
        if not _redis_ok():
            _missing("Redis is not reachable (set REDIS_URL=redis://...)")
    if item.get_closest_marker("browser"):
        if not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"):
            _missing("Chromium is not installed (/usr/bin/chromium; apt-get install chromium)")


@pytest.fixture(scope="session", autouse=True)
def _flush_past_append_only_triggers():
    """Let the suite's own flush (after each transactional test) empty the append-only tables.

    The audit trail and call timelines refuse TRUNCATE (crisis 0003, dispatch 0003), and Django flushes
    PostgreSQL with TRUNCATE. `session_replication_role = replica` skips ordinary triggers for one
    transaction; only a superuser may set it, which the test database's role is and the app's must not be.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        return original(self, ["SET LOCAL session_replication_role = replica", *sql_list])

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


def make_user(username: str, role: str | None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=username.title(), **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def dana(db):
    return make_user("dana", "dispatcher")


@pytest.fixture
def cam(db):
    return make_user("cam", "clinician")


@pytest.fixture
def sue(db):
    return make_user("sue", "supervisor")


@pytest.fixture
def oli(db):
    return make_user("oli", "officer")


@pytest.fixture
def ada(db):
    return make_user("ada", "administrator")


@pytest.fixture
def nora(db):
    return make_user("nora", None)


def make_partner_user(username: str, role: str, agency: str) -> User:
    """A partner agency's staff member (homeless_outreach.PartnerAgencyUser) for an agency of the directory."""
    from programs.community_responders.models import Partner
    from programs.homeless_outreach.models import PartnerAgencyUser

    partner, _ = Partner.objects.get_or_create(name=agency, defaults={"services": "Homeless outreach partner"})
    user = make_user(username, role)
    PartnerAgencyUser.objects.create(user=user, partner=partner)
    return user


@pytest.fixture
def lou(db):
    """Police homeless liaison officer of the Police Homeless Liaison Unit (a partner agency)."""
    return make_partner_user("lou", "police_liaison", "Police Homeless Liaison Unit")


@pytest.fixture
def hana(db):
    """Housing navigator at Lakeside Housing (a partner agency)."""
    return make_partner_user("hana", "housing_navigator", "Lakeside Housing")


@pytest.fixture
def mobile_crisis(db):
    return Program.objects.create(
        name="Mobile Crisis",
        kind="mobile_crisis",
        tiers=["community", "co_response"],
        pairs_with_law_enforcement=True,
        center_latitude=CENTER[0],
        center_longitude=CENTER[1],
        radius_km=50,
    )


def make_team(name, program, *, members, status=TeamStatus.AVAILABLE, offset=(0.0, 0.0)):
    team = Team.objects.create(
        name=name,
        program=program,
        status=status,
        latitude=CENTER[0] + offset[0],
        longitude=CENTER[1] + offset[1],
        location_reported_at=timezone.now(),
    )
    users = []
    for username, credential, languages, specialties in members:
        user = make_user(username, "responder")
        TeamMember.objects.create(
            team=team, user=user, credential=credential, languages=languages, specialties=specialties
        )
        users.append(user)
    return team, users


@pytest.fixture
def team_a(mobile_crisis):
    team, _ = make_team(
        "Team A",
        mobile_crisis,
        offset=(0.01, 0.0),
        members=[
            ("rita", "licensed_clinician", ["en", "es"], ["youth"]),
            ("pete", "peer_specialist", ["en"], []),
        ],
    )
    return team


@pytest.fixture
def team_b(mobile_crisis):
    team, _ = make_team(
        "Team B",
        mobile_crisis,
        offset=(0.05, 0.0),
        members=[
            ("bo", "licensed_clinician", ["en"], []),
            ("eli", "emt", ["en"], []),
        ],
    )
    return team


@pytest.fixture
def rita(team_a):
    return User.objects.get(username="rita")


@pytest.fixture
def bo(team_b):
    return User.objects.get(username="bo")


@pytest.fixture
def person(db):
    return Person.objects.create(first_name="Marcus", last_name="Hill", mental_health_history="Bipolar I")


CALL_DEFAULTS = dict(
    source="911",
    caller_name="Neighbor",
    callback_number="312-555-0101",
    person_description="Man in his 40s",
    address="1200 W Lake St",
    latitude=CENTER[0],
    longitude=CENTER[1],
    location_type="residence",
    call_type="mental_health",
    nature="Shouting and paranoid",
)


@pytest.fixture
def new_call(dana):
    from dispatch import services

    def _make(**overrides):
        return services.call_create(by=dana, **(CALL_DEFAULTS | overrides))

    return _make


def login(client, user):
    client.force_login(user)
    return client
