"""Idempotency-Key on API writes (crisis/idempotency.py, crisis.middleware.IdempotencyMiddleware)."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import OperationalError, connections, transaction
from django.test import Client
from django.utils import timezone

from crisis import idempotency
from crisis.models import IdempotencyKey
from dispatch import api as dispatch_api
from dispatch.models import Call, CallEvent, Triage
from tests.conftest import CALL_DEFAULTS
from tests.factories import api_token

SCREEN = {"phone_engaged": True}


def key() -> str:
    return str(uuid.uuid4())


def post(client, path, body, k, **extra):
    return client.post(path, body, content_type="application/json", headers={"Idempotency-Key": k}, **extra)


@pytest.fixture
def desk(dana):
    client = Client(raise_request_exception=False)
    client.force_login(dana)
    return client


@pytest.mark.django_db
def test_a_repeated_key_replays_the_first_answer_and_writes_once(desk):
    k = key()
    first = post(desk, "/api/calls/", CALL_DEFAULTS, k)
    again = post(desk, "/api/calls/", CALL_DEFAULTS, k)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Call.objects.count() == 1
    assert CallEvent.objects.filter(kind="call.created").count() == 1


@pytest.mark.django_db
def test_without_a_key_each_request_is_a_new_write(desk):
    for _ in range(2):
        assert desk.post("/api/calls/", CALL_DEFAULTS, content_type="application/json").status_code == 201
    assert Call.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_json_key_order_and_spacing_do_not_make_another_request(desk):
    k = key()
    post(desk, "/api/calls/", CALL_DEFAULTS, k)
    shuffled = "{" + ", ".join(f'"{f}": {v!r}'.replace("'", '"') for f, v in reversed(CALL_DEFAULTS.items())) + "}"
    assert post(desk, "/api/calls/", shuffled, k).status_code == 201
    assert Call.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/calls/", CALL_DEFAULTS | {"nature": "Something else"}),
        ("/api/calls/1/notes/", {"text": "hello"}),
    ],
    ids=["other-body", "other-path"],
)
def test_the_same_key_for_another_request_is_a_422_and_writes_nothing(desk, path, body):
    k = key()
    post(desk, "/api/calls/", CALL_DEFAULTS, k)
    response = post(desk, path, body, k)
    assert response.status_code == 422
    assert "already used for a different request (POST /api/calls/)" in response.json()["detail"]
    assert Call.objects.count() == 1
    assert not CallEvent.objects.filter(kind="call.note_added").exists()


@pytest.mark.django_db
def test_keys_belong_to_their_user(desk, sue):
    k = key()
    assert post(desk, "/api/calls/", CALL_DEFAULTS, k).status_code == 201
    other = Client()
    other.force_login(sue)
    second = post(other, "/api/calls/", CALL_DEFAULTS, k)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert Call.objects.count() == 2


@pytest.mark.django_db
def test_an_api_token_user_gets_the_same_guarantee(dana):
    token = api_token(dana)
    client = Client()
    k = key()
    for _ in range(2):
        response = post(client, "/api/calls/", CALL_DEFAULTS, k, HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code == 201
    assert Call.objects.count() == 1
    assert IdempotencyKey.objects.get().user == dana


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["", "x" * 256, "tab\there", "é-key"])
def test_a_malformed_key_is_a_400_and_writes_nothing(desk, bad):
    response = desk.post(
        "/api/calls/",
        CALL_DEFAULTS,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=bad.encode().decode("latin-1"),
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_a_refused_request_keeps_its_answer_but_an_unauthorised_one_does_not(desk, oli, new_call):
    call = new_call()
    k = key()
    stale = {"status": "on_scene", "expected_status": "en_route"}
    first = post(desk, f"/api/calls/{call.pk}/advance/", stale, k)
    assert first.status_code in (400, 409)
    assert post(desk, f"/api/calls/{call.pk}/advance/", stale, k).json() == first.json()
    assert IdempotencyKey.objects.get(key=k).status_code == first.status_code

    officer = Client()
    officer.force_login(oli)
    k2 = key()
    assert post(officer, f"/api/calls/{call.pk}/triage/", {}, k2).status_code == 403
    assert not IdempotencyKey.objects.filter(key=k2).exists()  # a 403 is "not attempted": a retry may succeed


@pytest.mark.django_db
def test_a_failed_write_rolls_back_with_its_key_and_the_retry_runs_once(desk, monkeypatch, new_call):
    """The re-read after the change fails (the database connection dropped): nothing was committed, so the
    client's 500 is honest and its retry with the same key makes the change exactly once."""
    call = new_call()
    real = dispatch_api._detail
    fail = {"left": 1}

    def flaky_detail(pk):
        if fail["left"]:
            fail["left"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return real(pk)

    monkeypatch.setattr(dispatch_api, "_detail", flaky_detail)
    k = key()
    assert post(desk, f"/api/calls/{call.pk}/triage/", SCREEN, k).status_code == 500
    assert not Triage.objects.filter(call=call).exists()
    assert not IdempotencyKey.objects.filter(key=k).exists()

    retry = post(desk, f"/api/calls/{call.pk}/triage/", SCREEN, k)
    assert retry.status_code == 200 and "Idempotent-Replayed" not in retry
    assert Triage.objects.filter(call=call).count() == 1
    assert CallEvent.objects.filter(call=call, kind="call.triaged").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_whose_answer_was_lost_is_replayed_on_retry(desk, monkeypatch, new_call):
    """The connection drops just after COMMIT: the client gets a 503 asking it to retry (never a 500), and
    the retry with the same key returns the stored answer without triaging twice."""
    call = new_call()
    real = dispatch_api.services.call_triage

    def triage_then_lose_the_connection(**kwargs):
        real(**kwargs)

        def drop():
            raise OperationalError("server closed the connection unexpectedly")

        transaction.on_commit(drop)  # runs after COMMIT, raising out of the request's transaction

    monkeypatch.setattr(dispatch_api.services, "call_triage", triage_then_lose_the_connection)
    k = key()
    lost = post(desk, f"/api/calls/{call.pk}/triage/", SCREEN, k)
    assert lost.status_code == 503
    assert "same Idempotency-Key" in lost.json()["detail"]
    assert Triage.objects.filter(call=call).count() == 1  # committed

    monkeypatch.setattr(dispatch_api.services, "call_triage", real)
    retry = post(desk, f"/api/calls/{call.pk}/triage/", SCREEN, k)
    assert retry.status_code == 200 and retry["Idempotent-Replayed"] == "true"
    assert retry.json()["status"] == "triaged"
    assert Triage.objects.filter(call=call).count() == 1
    assert CallEvent.objects.filter(call=call, kind="call.triaged").count() == 1


@pytest.mark.django_db
def test_an_expired_key_is_a_new_request_and_the_purge_deletes_only_expired_keys(desk):
    old, fresh = key(), key()
    post(desk, "/api/calls/", CALL_DEFAULTS, old)
    post(desk, "/api/calls/", CALL_DEFAULTS, fresh)
    IdempotencyKey.objects.filter(key=old).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert idempotency.idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == [fresh]

    IdempotencyKey.objects.filter(key=fresh).update(expires_at=timezone.now() - timedelta(seconds=1))
    again = post(desk, "/api/calls/", CALL_DEFAULTS, fresh)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Call.objects.count() == 3


@pytest.mark.django_db
def test_keys_expire_after_the_configured_hours(desk, settings):
    settings.IDEMPOTENCY_KEY_HOURS = 24
    k = key()
    post(desk, "/api/calls/", CALL_DEFAULTS, k)
    row = IdempotencyKey.objects.get(key=k)
    assert row.expires_at - row.created_at == timedelta(hours=24)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_with_one_key_make_one_write(dana, monkeypatch):
    real = dispatch_api.services.call_create
    inside = threading.Barrier(2, timeout=10)

    def slow_create(**kwargs):
        call = real(**kwargs)
        time.sleep(0.5)  # hold the transaction open while the twin arrives
        return call

    monkeypatch.setattr(dispatch_api.services, "call_create", slow_create)
    k = key()
    answers = []

    def send():
        try:
            client = Client()
            client.force_login(dana)
            inside.wait()
            answers.append(post(client, "/api/calls/", CALL_DEFAULTS, k))
        finally:
            connections.close_all()  # this thread's own connection, or the test database cannot be dropped

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert Call.objects.count() == 1
    assert CallEvent.objects.filter(kind="call.created").count() == 1


@pytest.mark.django_db
def test_the_api_schema_offers_the_key_on_every_write_and_only_there():
    """Every write in the schema, /api/, /fhir/ and the programs' APIs alike (the middleware keys every DRF view)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    writes = reads = 0
    prefixes = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
            if method.upper() in idempotency.WRITE_METHODS:
                writes += 1
                prefixes.add(path.split("/")[1] if not path.startswith("/programs/") else "programs")
                assert names.count("Idempotency-Key") == 1, (method, path)
            else:
                reads += 1
                assert "Idempotency-Key" not in names, (method, path)
    assert writes >= 15 and reads >= 10
    assert prefixes == {"api", "fhir", "programs"}


@pytest.mark.django_db
def test_without_a_key_a_write_and_its_answer_still_share_one_transaction(desk, monkeypatch, new_call):
    """Before, the triage committed and then the re-read failed: a 500 for a committed change. Now the answer
    is built before COMMIT, so a failure there leaves nothing behind."""
    call = new_call()

    def lost_connection(pk):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(dispatch_api, "_detail", lost_connection)
    response = desk.post(f"/api/calls/{call.pk}/triage/", SCREEN, content_type="application/json")
    assert response.status_code == 500
    assert not Triage.objects.filter(call=call).exists()
    assert not CallEvent.objects.filter(call=call, kind="call.triaged").exists()


def test_the_hourly_purge_is_a_registered_beat_task(settings):
    from crisis.celery import app

    app.loader.import_default_modules()
    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "crisis.tasks.purge_idempotency_keys"
    )
    assert entry["schedule"] == 3600.0
    assert "crisis.tasks.purge_idempotency_keys" in app.tasks


@pytest.mark.django_db
def test_a_key_on_an_overlong_unknown_path_is_a_plain_404(desk):
    path = "/api/" + "x" * 600 + "/"
    assert post(desk, path, {}, key()).status_code == 404
    assert post(desk, path, {}, "same").status_code == 404


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_keyed_token_write_reads_its_token_once_and_claims_its_key_in_one_statement(dana):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {api_token(dana)}")
    k = key()
    with CaptureQueriesContext(connection) as ctx:
        assert post(client, "/api/calls/", CALL_DEFAULTS, k).status_code == 201
    sql = [q["sql"] for q in ctx.captured_queries]
    # The middleware reads the token to own the key; DRF takes its answer instead of reading it again.
    assert sum('FROM "crisis_apitoken"' in s for s in sql) == 1
    # One INSERT ... ON CONFLICT DO NOTHING claims the key: no savepoint around it.
    at = [i for i, s in enumerate(sql) if s.startswith('INSERT INTO "crisis_idempotencykey"')]
    assert len(at) == 1 and "ON CONFLICT DO NOTHING" in sql[at[0]]
    assert not sql[at[0] + 1].startswith("RELEASE SAVEPOINT")
    # The stored answer still replays, and a taken key is still a taken key.
    again = post(client, "/api/calls/", CALL_DEFAULTS, k)
    assert again["Idempotent-Replayed"] == "true" and Call.objects.count() == 1


@pytest.mark.parametrize(
    "path, keyed",
    [
        ("/api/calls/", True),
        ("/api/integrations/eido/incidents/", True),
        ("/fhir/Task/1", True),
        ("/programs/mobile_crisis/api/follow-ups/1/record/", True),
        ("/programs/le_consult/api/consults/1/messages/", True),
        ("/programs/mobile_crisis/follow-ups/1/record/", False),  # a page's form
        ("/responder/", False),
        ("/api/nowhere/", False),
    ],
)
def test_every_drf_view_is_keyed_wherever_it_is_mounted_and_pages_are_not(rf, path, keyed):
    from crisis.middleware import _is_api_view

    assert _is_api_view(rf.post(path)) is keyed
