"""Issue 9: Web Push of offers (dispatch/push.py, dispatch/push_api.py, the task send_offer_push).

The push service is stood in for by a local HTTP server: pywebpush posts to the subscription's endpoint, so
the test points the endpoint there and checks what arrived: an aes128gcm-encrypted body that the browser's
keys decrypt to the offer, signed with a VAPID Authorization header carrying our public key.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from crisis.models import AuditEntry
from dispatch import jobs, push, services
from dispatch.management.commands.webpush_keys import new_key_pair
from dispatch.models import Assignment
from responders.models import PushSubscription

pytestmark = pytest.mark.django_db


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """The keys a browser makes for a push subscription (RFC 8291: an ECDH P-256 pair and a 16-byte secret)."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh = b64(public)
        self.auth_secret = os.urandom(16)
        self.auth = b64(self.auth_secret)

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth_secret))


class Receiver:
    """A push service on 127.0.0.1 that records each POST and answers with `status`."""

    def __init__(self, status: int = 201):
        received = self.received = []
        self.status = status
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def vapid(settings):
    public, private = new_key_pair()
    settings.WEBPUSH_VAPID_PUBLIC_KEY = public
    settings.WEBPUSH_VAPID_PRIVATE_KEY = private
    settings.WEBPUSH_VAPID_SUBJECT = "mailto:ops@example.org"
    settings.WEBPUSH_ALLOW_HTTP = True
    settings.WEBPUSH_ENDPOINT_HOSTS = ["127.0.0.1", "*.push.example.test"]
    return public


def subscribe(client, user, endpoint: str, browser: Browser):
    client.force_login(user)
    body = {"endpoint": endpoint, "keys": {"p256dh": browser.p256dh, "auth": browser.auth}, "expirationTime": None}
    return client.post("/api/push/subscriptions/", body, content_type="application/json")


# --- the subscription API ---------------------------------------------------------------------------------


def test_a_responder_saves_a_subscription_once_per_browser_and_it_is_audited(client, rita, vapid):
    browser = Browser()
    first = subscribe(client, rita, "https://fcm.push.example.test/abc", browser)
    assert first.status_code == 201, first.content
    again = subscribe(client, rita, "https://fcm.push.example.test/abc", browser)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert PushSubscription.objects.get().user == rita
    assert AuditEntry.objects.filter(action="responders.push.subscribed", actor=rita).count() == 1


def test_the_browser_belongs_to_whoever_saved_it_last(client, rita, pete, vapid):
    browser = Browser()
    subscribe(client, rita, "https://fcm.push.example.test/shared", browser)
    assert subscribe(client, pete, "https://fcm.push.example.test/shared", browser).status_code == 201
    assert PushSubscription.objects.get().user == pete


@pytest.mark.parametrize("persona", ["dana", "sue", "oli"])
def test_only_responders_may_subscribe(client, persona, request, vapid):
    response = subscribe(client, request.getfixturevalue(persona), "https://fcm.push.example.test/x", Browser())
    assert response.status_code == 403
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("endpoint", "keys", "message"),
    [
        ("https://evil.example.org/x", None, "not a push service"),
        ("https://127.0.0.1.evil.example.org/x", None, "not a push service"),
        ("ftp://fcm.push.example.test/x", None, "must be an https URL"),
        ("https://fcm.push.example.test/x", {"p256dh": "AAAA", "auth": None}, "uncompressed P-256"),
        ("https://fcm.push.example.test/x", {"p256dh": None, "auth": "AAAA"}, "16 bytes"),
        ("https://fcm.push.example.test/x", {"p256dh": "!!!!", "auth": None}, "base64url"),
    ],
)
def test_a_bad_subscription_is_a_400_with_a_message(client, rita, vapid, endpoint, keys, message):
    browser = Browser()
    keys = {k: v or getattr(browser, k) for k, v in (keys or {"p256dh": None, "auth": None}).items()}
    client.force_login(rita)
    response = client.post(
        "/api/push/subscriptions/", {"endpoint": endpoint, "keys": keys}, content_type="application/json"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PushSubscription.objects.exists()


def test_plain_http_endpoints_are_refused_unless_allowed(client, rita, vapid, settings):
    settings.WEBPUSH_ALLOW_HTTP = False
    response = subscribe(client, rita, "http://127.0.0.1:9/x", Browser())
    assert response.status_code == 400 and "https" in response.content.decode()


def test_a_responder_deletes_only_their_own(client, rita, pete, vapid):
    subscribe(client, rita, "https://fcm.push.example.test/rita", Browser())
    subscription = PushSubscription.objects.get()
    client.force_login(pete)
    assert client.delete(f"/api/push/subscriptions/{subscription.pk}/").status_code == 404
    client.force_login(rita)
    assert client.delete(f"/api/push/subscriptions/{subscription.pk}/").status_code == 204
    assert not PushSubscription.objects.exists()
    assert AuditEntry.objects.filter(action="responders.push.unsubscribed", actor=rita).count() == 1
    assert client.delete(f"/api/push/subscriptions/{subscription.pk}/").status_code == 404


# --- sending ----------------------------------------------------------------------------------------------


@pytest.fixture
def offer(dana, team_a, new_call, django_capture_on_commit_callbacks):
    call = new_call(nature="Suicidal, has pills", address="1200 W Lake St")
    with django_capture_on_commit_callbacks(execute=True):  # routing offers it to Team A
        services.call_triage(call=call, screen={"si_behavior": True}, by=dana)
    return Assignment.objects.get(call=call, team=team_a, status="offered")


def test_the_offer_reaches_the_teams_browsers_encrypted_and_vapid_signed(
    client, rita, pete, vapid, receiver, offer, settings
):
    browsers = {}
    for user in (rita, pete):
        browsers[user.username] = Browser()
        subscribe(client, user, f"{receiver.url}/push/{user.username}", browsers[user.username])

    assert push.offer_push_send(assignment_id=offer.pk) == 2

    assert sorted(r["path"] for r in receiver.received) == ["/push/pete", "/push/rita"]
    for r in receiver.received:
        headers = {k.lower(): v for k, v in r["headers"].items()}
        assert headers["content-encoding"] == "aes128gcm"
        assert headers["authorization"].startswith("vapid t=") and f"k={vapid}" in headers["authorization"]
        assert headers["ttl"] == str(settings.OFFER_TIMEOUT_SECONDS)  # worth nothing once the offer lapses
        assert headers["urgency"] == "high"
        assert b"Suicidal" not in r["body"] and b"call #" not in r["body"].lower()  # encrypted
        payload = browsers[r["path"].rsplit("/", 1)[1]].decrypt(r["body"])
        assert payload["title"] == f"P1 call #{offer.call_id} offered to Team A"
        assert payload["tag"] == f"offer-{offer.pk}" and payload["url"] == "/responder/"
        # Lock screens show it: no health information.
        assert "Suicidal" not in json.dumps(payload) and "Lake" not in json.dumps(payload)


def test_a_program_may_wake_fewer_of_the_team(client, rita, pete, vapid, receiver, offer, monkeypatch):
    # FACT after hours names its on-call member only (tests/programs/fact/test_routing.py); any plug-in may.
    for user in (rita, pete):
        subscribe(client, user, f"{receiver.url}/push/{user.username}", Browser())
    monkeypatch.setattr(push.program_plugins, "offer_recipients", lambda call, team: frozenset({rita.pk}))
    assert push.offer_push_send(assignment_id=offer.pk) == 1
    assert [r["path"] for r in receiver.received] == ["/push/rita"]


def test_nothing_is_sent_for_an_offer_no_longer_open_or_to_other_teams(client, rita, bo, vapid, receiver, offer):
    subscribe(client, bo, f"{receiver.url}/push/bo", Browser())  # Team B
    assert push.offer_push_send(assignment_id=offer.pk) == 0
    subscribe(client, rita, f"{receiver.url}/push/rita", Browser())
    Assignment.objects.filter(pk=offer.pk).update(status="declined")
    assert push.offer_push_send(assignment_id=offer.pk) == 0
    assert receiver.received == []


def test_a_subscription_the_push_service_says_is_gone_is_removed(client, rita, vapid, offer):
    gone = Receiver(status=410)
    try:
        subscribe(client, rita, f"{gone.url}/push/rita", Browser())
        assert push.offer_push_send(assignment_id=offer.pk) == 0
    finally:
        gone.close()
    assert len(gone.received) == 1
    assert not PushSubscription.objects.exists()


def test_a_push_service_error_is_logged_and_keeps_the_subscription(client, rita, vapid, offer, caplog):
    failing = Receiver(status=500)
    try:
        subscribe(client, rita, f"{failing.url}/push/rita", Browser())
        with caplog.at_level(logging.WARNING, logger="dispatch.push"):
            assert push.offer_push_send(assignment_id=offer.pk) == 0
    finally:
        failing.close()
    assert PushSubscription.objects.exists()
    assert "Web Push to subscription" in caplog.text


def test_an_offer_enqueues_the_push_after_commit(dana, team_a, new_call, vapid, django_capture_on_commit_callbacks):
    from unittest import mock

    call = new_call()
    with mock.patch("dispatch.tasks.send_offer_push.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            services.call_triage(call=call, screen={"si_behavior": True}, by=dana)  # routing offers it to Team A
            delay.assert_not_called()  # not inside the transaction: dispatch never waits for a push service
    offered = Assignment.objects.get(call=call, team=team_a, status="offered")
    delay.assert_called_once_with(offered.pk)


def test_without_vapid_keys_push_is_off_and_says_so_once(dana, team_a, new_call, settings, caplog, monkeypatch):
    from unittest import mock

    settings.WEBPUSH_VAPID_PUBLIC_KEY = settings.WEBPUSH_VAPID_PRIVATE_KEY = settings.WEBPUSH_VAPID_SUBJECT = ""
    monkeypatch.setattr(jobs, "_push_off_logged", False)
    with mock.patch("dispatch.tasks.send_offer_push.delay") as delay, caplog.at_level(logging.WARNING):
        jobs.enqueue_offer_push(assignment_id=1)
        jobs.enqueue_offer_push(assignment_id=2)
    delay.assert_not_called()
    assert caplog.text.count("Web Push is off: set WEBPUSH_VAPID_PUBLIC_KEY") == 1
    assert push.offer_push_send(assignment_id=1) == 0


def test_the_phone_page_carries_the_public_key_only_when_push_is_on(client, rita, settings, vapid):
    client.force_login(rita)
    assert vapid in client.get("/responder/").content.decode()
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    assert vapid not in client.get("/responder/").content.decode()


@pytest.fixture
def pete(team_a):
    from crisis.models import User

    return User.objects.get(username="pete")
