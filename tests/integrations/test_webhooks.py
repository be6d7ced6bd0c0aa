"""integrations/webhooks.py: outbox rows in the caller's transaction, signed sends in order, backoff, replay."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from crisis.models import AuditEntry
from dispatch import services
from integrations import services as integrations
from integrations import webhooks
from integrations.models import Delivery, DeliveryStatus, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(cad, receiver, ada):
    return integrations.endpoint_save(
        partner=cad,
        url=receiver.url,
        events=[Event.CALL_CREATED, Event.CALL_ASSIGNED, Event.CALL_CLOSED],
        by=ada,
    )


@pytest.mark.parametrize(
    ("kind", "from_status", "to_status", "expected"),
    [
        ("call.created", "", "received", ["call.created"]),
        ("call.triaged", "received", "triaged", ["call.status_changed"]),
        ("call.accepted", "awaiting_team", "assigned", ["call.assigned", "call.status_changed"]),
        ("call.assigned_manually", "triaged", "assigned", ["call.assigned", "call.status_changed"]),
        ("call.closed", "on_scene", "closed", ["call.closed", "call.status_changed"]),
        ("call.cancelled", "received", "cancelled", ["call.closed", "call.status_changed"]),
        ("call.note", "", "", []),
        ("referral.status_changed", "sent", "accepted", ["referral.status_changed"]),
        ("consult.accepted", "", "", []),
    ],
)
def test_which_events_a_notification_is(kind, from_status, to_status, expected):
    assert webhooks.events_for(kind, from_status=from_status, to_status=to_status) == expected


def test_a_created_call_is_delivered_signed_and_accounted_for(
    endpoint, receiver, cad, new_call, person, django_capture_on_commit_callbacks
):
    receiver.start()
    with django_capture_on_commit_callbacks(execute=True):
        call = new_call(person=person)
    got = receiver.received()
    assert len(got) == 1
    body = got[0].json()
    assert body["event"] == "call.created"
    assert body["call"]["id"] == call.pk
    assert body["call"]["person"] == {"id": person.pk, "name": "Marcus Hill"}
    assert got[0].headers["X-Crisis-Event"] == "call.created"
    assert webhooks.verify(cad.secret, got[0].body, got[0].headers["X-Crisis-Signature"])
    assert not webhooks.verify("another secret", got[0].body, got[0].headers["X-Crisis-Signature"])
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert got[0].headers["X-Crisis-Delivery"] == str(delivery.pk)
    # The accounting of disclosures: about the person, to the partner, why and what.
    row = AuditEntry.objects.get(action="disclosure.webhook")
    assert (row.object_type, row.object_id) == ("crisis.person", str(person.pk))
    assert row.detail["recipient"] == "County 911 CAD"
    assert row.detail["purpose"] == "911 incident hand-over"
    assert row.detail["records"] == [f"call.created:delivery:{delivery.pk}"]


def test_an_intake_tells_each_of_its_events_reading_the_endpoints_once(
    cad, receiver, ada, dana, team_a, django_capture_on_commit_callbacks
):
    """POST /api/calls/intake/ writes three call events in one transaction; the endpoints are read once
    (crisis.outbound.batch) and every subscribed event still gets its outbox row, in order."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import CALL_DEFAULTS

    integrations.endpoint_save(
        partner=cad, url=receiver.url, events=[Event.CALL_CREATED, Event.CALL_STATUS_CHANGED], by=ada
    )
    client = Client()
    client.force_login(dana)
    body = CALL_DEFAULTS | {"screen": {"caller_not_asked": True}}
    with django_capture_on_commit_callbacks(execute=False), CaptureQueriesContext(connection) as ctx:
        response = client.post("/api/calls/intake/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert sum('FROM "integrations_webhookendpoint"' in q["sql"] for q in ctx.captured_queries) == 1
    sent = [(d.event, d.payload["call"]["status"]) for d in Delivery.objects.order_by("id")]
    assert sent == [
        ("call.created", "received"),
        ("call.status_changed", "triaged"),
        ("call.status_changed", "awaiting_team"),
    ]


def test_an_old_or_forged_signature_is_refused(cad):
    body = b'{"a":1}'
    header = webhooks.sign(cad.secret, body, int(time.time()) - 3600)
    assert not webhooks.verify(cad.secret, body, header)
    assert not webhooks.verify(cad.secret, body, "t=x,v1=y")
    assert webhooks.verify(cad.secret, body, webhooks.sign(cad.secret, body, int(time.time())))


def test_unsubscribed_events_and_rolled_back_changes_send_nothing(
    endpoint, receiver, dana, new_call, django_capture_on_commit_callbacks
):
    receiver.start()
    call = new_call()
    Delivery.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.call_triage(call=call, screen={"phone_engaged": True}, by=dana)  # triaged: not subscribed
    assert not Delivery.objects.exists()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        new_call()
        raise Boom
    assert not Delivery.objects.exists()
    assert receiver.received() == []


def test_a_partner_that_is_down_gets_retries_with_backoff_then_everything_in_order(
    endpoint, receiver, dana, new_call, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 2
    with django_capture_on_commit_callbacks(execute=True):
        first = new_call(nature="First")
        second = new_call(nature="Second")
    rows = list(Delivery.objects.order_by("id"))
    assert [r.payload["call"]["id"] for r in rows] == [first.pk, second.pk]
    # The head failed once and waits; the second was not tried: order is kept.
    assert [(r.status, r.attempts) for r in rows] == [("pending", 1), ("pending", 0)]
    assert rows[0].last_error
    wait = (rows[0].next_attempt_at - timezone.now()).total_seconds()
    assert 0 < wait <= 2
    # Not due yet: nothing is tried.
    assert webhooks.endpoint_send_next(endpoint_id=endpoint.pk) == "waiting"
    # Down again when due: the backoff doubles.
    Delivery.objects.filter(pk=rows[0].pk).update(next_attempt_at=timezone.now())
    assert webhooks.endpoint_send_next(endpoint_id=endpoint.pk) == "failed"
    rows[0].refresh_from_db()
    assert rows[0].attempts == 2
    assert 2 < (rows[0].next_attempt_at - timezone.now()).total_seconds() <= 4
    # The partner comes back; when the head is due, the sweep sends both, in order, once.
    receiver.start()
    Delivery.objects.filter(pk=rows[0].pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.deliveries_sweep() == 1
    assert [r.json()["call"]["nature"] for r in receiver.received()] == ["First", "Second"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_delivery_is_given_up_after_the_last_attempt(
    endpoint, new_call, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=True):
        new_call()
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert webhooks.endpoint_send_next(endpoint_id=endpoint.pk) == "gave_up"
    assert Delivery.objects.get().status == DeliveryStatus.FAILED


def test_backoff_is_exponential_and_capped(settings):
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 2
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 60
    assert [webhooks.backoff_seconds(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_an_http_error_counts_as_a_failure(endpoint, receiver, new_call, django_capture_on_commit_callbacks):
    receiver.status = 503
    receiver.start()
    with django_capture_on_commit_callbacks(execute=True):
        new_call()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == ("pending", 503, "HTTP 503")
    assert not AuditEntry.objects.filter(action="disclosure.webhook").exists()


def test_replay_through_the_api_sends_again_at_the_end_of_the_queue(
    endpoint, receiver, new_call, client, ada, dana, django_capture_on_commit_callbacks
):
    receiver.start()
    with django_capture_on_commit_callbacks(execute=True):
        new_call(nature="Replay me")
    original = Delivery.objects.get()
    client.force_login(dana)
    assert client.post(f"/api/integrations/deliveries/{original.pk}/replay/").status_code == 403
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/integrations/deliveries/{original.pk}/replay/")
    assert response.status_code == 201, response.content
    assert response.json()["replay_of"] == original.pk
    assert [r.json()["call"]["nature"] for r in receiver.received()] == ["Replay me", "Replay me"]
    assert receiver.received()[1].headers["X-Crisis-Delivery"] == str(response.json()["id"])
    assert AuditEntry.objects.filter(action="integrations.delivery.replayed").count() == 1
    listing = client.get("/api/integrations/deliveries/?status=delivered").json()
    assert [d["id"] for d in listing["results"]] == [response.json()["id"], original.pk]
    assert client.get("/api/integrations/deliveries/?status=nope").status_code == 400


def test_a_pending_delivery_is_not_replayed(endpoint, new_call, ada, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        new_call()
    from crisis.errors import InvalidInput

    with pytest.raises(InvalidInput):
        webhooks.delivery_replay(delivery=Delivery.objects.get(), by=ada)


def test_referral_status_changes_are_sent(
    cad, receiver, ada, bo, team_b, new_call, dana, django_capture_on_commit_callbacks
):
    from programs.community_responders.services import referral_create, referral_set_status

    integrations.endpoint_save(partner=cad, url=receiver.url, events=[Event.REFERRAL_STATUS_CHANGED], by=ada)
    receiver.start()
    call = new_call()
    services.call_triage(call=call, screen={}, by=dana)
    services.call_assign(call=call, team=team_b, by=dana, reason="closest")
    call.refresh_from_db()
    referral = referral_create(call=call, by=bo, agency="Northside Clinic", service="Intake")
    with django_capture_on_commit_callbacks(execute=True):
        referral_set_status(referral=referral, status="accepted", by=bo)
    # The new referral (its task held back here, in the test's transaction) and its change, in order.
    created, accepted = (r.json()["referral"] for r in receiver.received())
    assert (created["status"], created["from_status"], created["fhir_task_status"]) == ("sent", "", "requested")
    assert (accepted["status"], accepted["from_status"], accepted["fhir_task_status"]) == (
        "accepted",
        "sent",
        "accepted",
    )
    assert created["id"] == accepted["id"] == referral.pk


def test_endpoint_registration_refuses_bad_input(cad, ada):
    from crisis.errors import InvalidInput

    for kwargs, field in [
        ({"events": []}, "events"),
        ({"events": ["call.exploded"]}, "events"),
        ({"url": "ftp://x"}, "url"),
        ({"payload_format": "eido", "events": ["referral.status_changed"]}, "events"),
    ]:
        args = {"partner": cad, "url": "http://127.0.0.1:9/hook", "events": ["call.created"], "by": ada} | kwargs
        with pytest.raises(InvalidInput) as err:
            integrations.endpoint_save(**args)
        assert err.value.field == field
