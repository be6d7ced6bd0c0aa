"""The calls API (dispatch/api.py): validation, nothing half-saved, clear errors."""

import pytest

from crisis.models import AuditEntry, Person
from dispatch import services
from dispatch.models import Call, CallEvent, Triage
from tests.conftest import CALL_DEFAULTS

BAD_CALLS = [
    ({"source": "carrier-pigeon"}, "source"),
    ({"source": ""}, "source"),
    ({"address": ""}, "address"),
    ({"address": "x" * 300}, "address"),
    ({"call_type": "alien"}, "call_type"),
    ({"nature": ""}, "nature"),
    ({"latitude": 123.0}, "latitude"),
    ({"longitude": -200.0}, "longitude"),
    ({"latitude": 41.0, "longitude": None}, "longitude"),
    ({"latitude": "north"}, "latitude"),
    ({"callback_number": "call me maybe"}, "callback_number"),
    ({"person_description": "", "person_id": None}, "person_description"),
    ({"person_id": 999999}, "person_id"),
    ({"location_type": "spaceship"}, "location_type"),
    ({"language": "English!"}, "language"),
    ({"received_at": "yesterday"}, "received_at"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("change, field", BAD_CALLS)
def test_bad_call_input_is_a_400_naming_the_field_and_saves_nothing(client, dana, change, field):
    client.force_login(dana)
    response = client.post("/api/calls/", CALL_DEFAULTS | change, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert Call.objects.count() == 0
    assert CallEvent.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="dispatch.call").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["not json", "[1,2,3]", "null", '{"source": ["911"]}'])
def test_malformed_bodies_are_400_not_500(client, dana, body):
    client.force_login(dana)
    response = client.post("/api/calls/", body, content_type="application/json")
    assert response.status_code == 400
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_create_returns_the_call_with_its_timeline(client, dana):
    client.force_login(dana)
    response = client.post("/api/calls/", CALL_DEFAULTS, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "received"
    assert [e["kind"] for e in body["timeline"]] == ["call.created"]
    assert body["timeline"][0]["actor"] == "dana"


@pytest.mark.django_db
def test_triage_through_the_api(client, dana, new_call):
    call = new_call()
    client.force_login(dana)
    response = client.post(
        f"/api/calls/{call.pk}/triage/",
        {"si_thoughts": True, "si_method": True, "phone_engaged": True},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["priority"], body["tier"], body["status"]) == (2, "community", "awaiting_team")
    assert {r["code"] for r in body["triage"]["rules"]} >= {"suicide_moderate_risk"}
    assert [e["kind"] for e in body["timeline"]][:3] == ["call.created", "call.triaged", "call.awaiting_team"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field",
    [
        ({"weapons": "very"}, "weapons"),
        ({"tier_override": "helicopter"}, "tier_override"),
        ({"tier_override": "community", "weapons": True}, "override_reason"),
        ({}, "non_field_errors"),  # unanswered is not "no"
    ],
)
def test_bad_triage_is_400_and_saves_nothing(client, dana, new_call, body, field):
    call = new_call()
    client.force_login(dana)
    response = client.post(f"/api/calls/{call.pk}/triage/", body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    call.refresh_from_db()
    assert call.status == "received" and call.priority is None
    assert not Triage.objects.exists()


@pytest.mark.django_db
def test_illegal_transition_through_api_is_409_with_message(client, dana, new_call):
    call = new_call()
    client.force_login(dana)
    response = client.post(f"/api/calls/{call.pk}/close/", {"disposition": "referred"}, content_type="application/json")
    assert response.status_code == 409
    assert "cannot become closed" in response.json()["detail"]


@pytest.mark.django_db
def test_close_without_disposition_is_400(client, dana, new_call):
    call = new_call()
    client.force_login(dana)
    client.post(f"/api/calls/{call.pk}/triage/", {"phone_engaged": True}, content_type="application/json")
    response = client.post(f"/api/calls/{call.pk}/close/", {}, content_type="application/json")
    assert response.status_code == 400 and "disposition" in response.json()
    response = client.post(
        f"/api/calls/{call.pk}/close/", {"disposition": "resolved_by_phone"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"


@pytest.mark.django_db
def test_unknown_call_is_404(client, dana):
    client.force_login(dana)
    assert client.get("/api/calls/424242/").status_code == 404
    assert client.post("/api/calls/424242/triage/", {}, content_type="application/json").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, field",
    [("status=lost", "status"), ("tier=x", "tier"), ("priority=high", "priority"), ("program=abc", "program")],
)
def test_bad_filters_are_400(client, dana, query, field):
    client.force_login(dana)
    response = client.get(f"/api/calls/?{query}")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.django_db
def test_filters(client, dana, new_call):
    a, b = new_call(nature="A"), new_call(nature="B")
    from dispatch import services

    services.call_triage(call=a, screen={"phone_engaged": True}, by=dana)
    client.force_login(dana)
    by_status = client.get("/api/calls/?status=triaged").json()["results"]
    assert [c["id"] for c in by_status] == [a.pk]
    by_tier = client.get("/api/calls/?tier=phone&priority=4").json()["results"]
    assert [c["id"] for c in by_tier] == [a.pk]
    assert {c["id"] for c in client.get("/api/calls/?open=1").json()["results"]} == {a.pk, b.pk}


@pytest.mark.django_db
def test_open_true_and_false_split_the_calls(client, dana, new_call):
    from dispatch import services

    working, done = new_call(nature="working"), new_call(nature="done")
    services.call_triage(call=done, screen={"phone_engaged": True}, by=dana)
    services.call_resolve_by_phone(call=done, by=dana)
    client.force_login(dana)
    ids = lambda q: [c["id"] for c in client.get(f"/api/calls/?open={q}").json()["results"]]  # noqa: E731
    assert ids("true") == ids("1") == [working.pk]
    assert ids("false") == ids("0") == [done.pk]
    response = client.get("/api/calls/?open=maybe")
    assert response.status_code == 400 and "open" in response.json()


@pytest.mark.django_db
def test_token_auth_for_integrations(client, dana):
    from tests.factories import api_token

    token = api_token(dana)
    response = client.post(
        "/api/calls/", CALL_DEFAULTS, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 201
    assert client.get("/api/calls/", HTTP_AUTHORIZATION="Token wrong").status_code == 401


@pytest.mark.django_db
def test_schema_and_docs_are_served(client, dana):
    client.force_login(dana)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[1, 2]", "null", '"talked"', "42", '{"text": ["a"]}', '{"text": "a\\u0000b"}'])
def test_resolve_by_phone_with_a_body_that_is_not_a_note_is_a_400(client, dana, new_call, body):
    call = new_call()
    client.force_login(dana)
    response = client.post(f"/api/calls/{call.pk}/resolve-by-phone/", body, content_type="application/json")
    assert response.status_code == 400
    call.refresh_from_db()
    assert call.status == "received"


@pytest.mark.django_db
@pytest.mark.parametrize("param", ["priority", "program"])
@pytest.mark.parametrize("value", ["99999999999999999999", str(2**63), "²"])
def test_list_filters_beyond_what_the_database_holds_are_a_400(client, dana, param, value):
    client.force_login(dana)
    response = client.get("/api/calls/", {param: value})
    assert response.status_code == 400
    assert param in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["99999999999999999999", str(2**63)])
def test_a_huge_limit_is_capped(client, dana, new_call, limit):
    new_call()
    client.force_login(dana)
    response = client.get("/api/calls/", {"limit": limit})
    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("when", ["1234-02-04T14:31:29Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2999-01-01"])
def test_a_received_time_out_of_this_world_is_a_400(client, dana, when):
    client.force_login(dana)
    response = client.post("/api/calls/", CALL_DEFAULTS | {"received_at": when}, content_type="application/json")
    assert response.status_code == 400
    assert "received_at" in response.json()
    assert Call.objects.count() == 0


def test_the_schema_documents_what_the_calls_endpoints_return():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]

    def ok(path, method, code="200"):
        return paths[path][method]["responses"][code]["content"]["application/json"]["schema"]

    assert ok("/api/calls/{id}/advance/", "post") == {"$ref": "#/components/schemas/CallList"}
    assert ok("/api/calls/", "get") == {"$ref": "#/components/schemas/CallPage"}


# The statements pinned are PostgreSQL's (SKIP LOCKED, the chain sealed by its trigger at COMMIT).
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_token_create_reads_nothing_back(client, dana, sent_events, django_capture_on_commit_callbacks):
    """POST /api/calls/ (an integration's token): the token with its role's permissions, the two INSERTs; the
    201 is built from what the write has, so it equals what a read-back would show."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dispatch import selectors, serializers
    from tests.factories import api_token

    token = api_token(dana)
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
        response = client.post(
            "/api/calls/", CALL_DEFAULTS, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
        )
    assert response.status_code == 201
    sql = [q["sql"].split()[0].upper() for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    # The token with its role's permissions (one statement: crisis/authentication.py), the call and its event,
    # and the webhook outbox's look-up of subscribed partner endpoints (integrations/webhooks.py, in the same
    # transaction so no delivery is lost); before the call, the phone system's unclaimed report for its
    # callback number (dispatch/telephony.py).
    assert sql == ["SELECT", "SELECT", "INSERT", "INSERT", "SELECT"]
    assert response.json() == serializers.CallDetailSerializer(selectors.call_for_page(response.json()["id"])).data
    assert [m["kind"] for m in sent_events] == ["call.created", "call.created"]


@pytest.mark.django_db
def test_intake_with_a_screen_creates_triages_and_routes_in_one_request(
    client, dana, team_a, team_b, django_capture_on_commit_callbacks
):
    client.force_login(dana)
    body = CALL_DEFAULTS | {"screen": {"phone_engaged": False, "children_present": True}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/calls/intake/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    # Routed before the answer: the offer is in it, and the timeline is the two-step path's.
    assert data["status"] == "awaiting_team" and data["triage"]["rules"] and data["triage"]["children_present"]
    assert [a["status"] for a in data["assignments"]] == ["offered"], data["routing_explanation"]
    assert [e["kind"] for e in data["timeline"]][:3] == ["call.created", "call.triaged", "call.awaiting_team"]
    assert "call.offered" in [e["kind"] for e in data["timeline"]]
    assert Triage.objects.filter(call_id=data["id"]).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "screen, field",
    [
        (None, "screen"),
        ({}, "screen"),  # unanswered is not "no"
        ([], "screen"),
        ({"weapons": "maybe"}, "screen"),
        ({"phone_engaged": True, "tier_override": "community"}, "screen"),  # an override needs a reason
    ],
)
def test_a_bad_intake_is_a_400_and_saves_nothing(client, dana, screen, field):
    client.force_login(dana)
    body = CALL_DEFAULTS | ({} if screen is None else {"screen": screen})
    response = client.post("/api/calls/intake/", body, content_type="application/json")
    if screen == {"phone_engaged": True, "tier_override": "community"}:
        assert response.status_code == 400 and "override_reason" in str(response.json())
    else:
        assert response.status_code == 400 and field in response.json()
    assert Call.objects.count() == 0 and CallEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_phone_tier_intake_waits_for_the_dispatcher(client, dana, team_a):
    client.force_login(dana)
    response = client.post(
        "/api/calls/intake/", CALL_DEFAULTS | {"screen": {"phone_engaged": True}}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "triaged" and response.json()["assignments"] == []


@pytest.mark.django_db
def test_an_unknown_language_code_is_a_400_with_the_list(client, dana):
    client.force_login(dana)
    response = client.post("/api/calls/", CALL_DEFAULTS | {"language": "qq"}, content_type="application/json")
    assert response.status_code == 400
    assert "Unknown language code 'qq'" in response.json()["language"][0]
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_the_linked_persons_language_carries_through_the_api(client, dana):
    rosa = Person.objects.create(first_name="Rosa", last_name="Alvarez", preferred_language="es")
    client.force_login(dana)
    body = CALL_DEFAULTS | {"person_id": rosa.pk}
    body.pop("language", None)
    response = client.post("/api/calls/", body, content_type="application/json")
    assert response.status_code == 201 and response.json()["language"] == "es"


@pytest.mark.django_db
def test_the_api_takes_the_wider_screen_and_shows_rules_from_history(client, dana):
    marcus = Person.objects.create(first_name="Marcus", last_name="Hill", history_of_violence=True)
    call = services.call_create(by=dana, person=marcus, **{k: v for k, v in CALL_DEFAULTS.items() if k != "language"})
    client.force_login(dana)
    body = {"agitation": True, "psychosis": None, "age": 52, "caller_relation": "bystander", "person_reachable": False}
    response = client.post(f"/api/calls/{call.pk}/triage/", body, content_type="application/json")
    assert response.status_code == 200, response.json()
    screen = response.json()["triage"]
    assert screen["agitation"] is True and screen["psychosis"] is None and screen["lethal_means"] is None
    assert (
        screen["age"] == 52 and screen["caller_relation"] == "bystander" and screen["from_history"] == ["hx_violence"]
    )
    rules = {r["code"]: r for r in screen["rules"]}
    assert rules["history_violence"]["from_history"] is True and rules["agitation"]["from_history"] is False
    assert "unreachable" in rules and response.json()["tier"] == "co_response"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change", [{"age": 200}, {"age": "old"}, {"caller_relation": "neighbour"}, {"psychosis": "maybe"}]
)
def test_bad_wider_screen_input_is_a_400(client, dana, change):
    call = services.call_create(by=dana, **CALL_DEFAULTS)
    client.force_login(dana)
    response = client.post(f"/api/calls/{call.pk}/triage/", change, content_type="application/json")
    assert response.status_code == 400 and set(change) <= set(response.json())
    assert not Triage.objects.exists()


@pytest.mark.django_db
def test_needs_are_shown_and_stated_through_the_api(client, dana):
    call = services.call_create(by=dana, **(CALL_DEFAULTS | {"call_type": "suicidal"}))
    client.force_login(dana)
    detail = client.get(f"/api/calls/{call.pk}/").json()
    assert detail["needs"]["needs"] == ["licensed_clinician"] == detail["needs"]["inferred"]
    assert {"code": "female_responder", "label": "a female responder"} in detail["needs"]["choices"]
    response = client.post(
        f"/api/calls/{call.pk}/needs/", {"needs": ["female_responder"]}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["needs"]["needs"] == ["female_responder"]
    bad = client.post(f"/api/calls/{call.pk}/needs/", {"needs": ["wings"]}, content_type="application/json")
    assert bad.status_code == 400 and "needs" in bad.json()


# The statements pinned are PostgreSQL's (SKIP LOCKED, the chain sealed by its trigger at COMMIT).
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_token_intake_routes_in_its_transaction_and_reads_nothing_back(
    client, dana, team_a, team_b, sent_events, django_capture_on_commit_callbacks, monkeypatch
):
    """POST /api/calls/intake/ (issue #15's hot path): the call is created, triaged and offered in one
    transaction whose commit sends the offer; the new row is not locked again, no routing job goes to the
    worker, and the 201 is built from what the writes have, so it equals what a read-back would show."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dispatch import jobs, selectors, serializers
    from tests.factories import api_token

    enqueued = []
    monkeypatch.setattr(jobs, "enqueue_routing", lambda **kw: enqueued.append(kw))
    token = api_token(dana)
    body = CALL_DEFAULTS | {"screen": {"caller_not_asked": True}}
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as ctx:
        response = client.post(
            "/api/calls/intake/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
        )
    assert response.status_code == 201, response.content
    data = response.json()
    assert [a["status"] for a in data["assignments"]] == ["offered"]
    assert data == serializers.CallDetailSerializer(selectors.call_for_page(data["id"])).data
    assert enqueued == []
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    # No read of the call table: the new row is this transaction's own, so neither triage nor routing locks or
    # re-reads it (router.call_route_new), and the answer is not read back (its events, screen, offers,
    # hand-offs, units). Routing asks for no refusal (a new call has none) and no screen (it was just written).
    assert not [s for s in sql if 'FROM "dispatch_call"' in s and "dispatch_callevent" not in s]
    for table in ("dispatch_callevent", "dispatch_handoff", "dispatch_callunit", "dispatch_triage"):
        assert not [s for s in sql if s.startswith("SELECT") and f'FROM "{table}"' in s], table
    assert not [s for s in sql if s.startswith("SELECT") and '"dispatch_assignment" WHERE call_id' in s]
    # Every statement of the intake is pinned (but the warm team facts' rebuild, which a fresh roster costs once
    # per process: dispatch/warm.py): a read that comes back shows here first.
    hot = [s for s in sql if '"responders_teammember"' not in s and 'FROM "programs_program"' not in s]
    assert len(hot) == 15, "\n".join(hot)
    # The call's row is written twice after its INSERT: triaged and awaiting a team in one UPDATE (two timeline
    # rows), and the routing explanation with the offer's version bump.
    call_writes = [s for s in hot if s.startswith('UPDATE "dispatch_call"')]
    assert len(call_writes) == 2, "\n".join(call_writes)
    assert '"version" = "version" + 2' in call_writes[0] and '"routing_explanation" = ' in call_writes[1]
    # Partners' webhook endpoints are read once for the intake's three call events (crisis.outbound.batch).
    assert sum('FROM "integrations_webhookendpoint"' in s for s in sql) == 1
    assert not [s for s in sql if s.startswith('SELECT "dispatch_assignment"."id"')]
    # Savepoints, two round trips each: the request's block (here inside the test's transaction), routing's (so
    # a failed run leaves the call triaged) and the offer's (the claim and the INSERT: a lost team or a duplicate
    # is a 409 that leaves nothing behind).
    assert sum(q["sql"].startswith("SAVEPOINT") for q in ctx.captured_queries) == 3
    kinds = [m["kind"] for m in sent_events]
    assert "call.offered" in kinds and kinds.index("call.offered") > kinds.index("call.awaiting_team")


@pytest.mark.django_db
def test_an_intake_whose_routing_fails_leaves_the_call_to_the_routing_job(
    client, dana, team_a, django_capture_on_commit_callbacks, monkeypatch
):
    from django.db import DatabaseError

    from dispatch import calls, jobs

    enqueued = []
    monkeypatch.setattr(jobs, "enqueue_routing", lambda **kw: enqueued.append(kw))

    def broken(**kw):
        raise DatabaseError("routing broke")

    monkeypatch.setattr(calls, "call_route_new", broken)
    client.force_login(dana)
    body = CALL_DEFAULTS | {"screen": {"caller_not_asked": True}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/calls/intake/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "awaiting_team" and response.json()["assignments"] == []
    assert enqueued == [{"region": "central"}]


@pytest.mark.django_db
def test_an_intake_routes_its_own_call_and_leaves_the_backlog_to_the_worker(
    client, dana, team_a, new_call, django_capture_on_commit_callbacks, monkeypatch
):
    """A call already waiting (no eligible team was free at its last run) is the worker's: the intake's run
    does not lock, rank or rewrite it, so an intake costs the same with a backlog of 1 or 500."""
    from dispatch import jobs, services

    with monkeypatch.context() as m:
        m.setattr(jobs, "enqueue_routing", lambda **kw: None)
        earlier = new_call()
        services.call_triage(call=earlier, screen={}, by=dana)
    Call.objects.filter(pk=earlier.pk).update(routing_explanation={"untouched": True})
    client.force_login(dana)
    body = CALL_DEFAULTS | {"screen": {"caller_not_asked": True}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/calls/intake/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert [a["team"] for a in response.json()["assignments"]] == [team_a.pk]
    earlier.refresh_from_db()
    assert earlier.routing_explanation == {"untouched": True} and earlier.last_routed_at is None
