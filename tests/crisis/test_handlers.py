"""crisis/handlers.py: under the ASGI server a request's middleware chain and view run in one thread, once.

Django's own ASGIHandler built the chain in async mode: a token `POST /api/calls/intake/` crossed between the
event loop and a thread 10 times (into the sync middlewares, back out to the async-capable ones below
IdempotencyMiddleware, in again for each `process_request`, `process_view`, the view, the render and each
`process_response`). These tests drive `crisis.asgi`'s HTTP application with ASGI messages, as uvicorn does.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref import sync as asgiref_sync
from asgiref.sync import async_to_sync
from django.core import signals
from django.db import close_old_connections

from tests.conftest import CALL_DEFAULTS

pytestmark = pytest.mark.django_db


async def _asgi(app, method: str, path: str, *, headers=(), body: bytes = b"") -> tuple[int, dict, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode()), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # the client stays connected; the handler cancels this when done

    async def send(message):
        sent.append(message)

    # As Django's test client does: the test's transaction holds the connection, which the request signals close.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        await app(scope, receive, send)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    start = next(m for m in sent if m["type"] == "http.response.start")
    heads = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], heads, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.fixture
def crossings(monkeypatch):
    """The functions each `sync_to_async` call of the request ran (a hop from the loop to a thread and back)."""
    ran: list[str] = []
    original = asgiref_sync.SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        ran.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(asgiref_sync.SyncToAsync, "__call__", counted)
    return ran


# Django's handler itself: the request_started signal's receivers and response.close() (request_finished).
AROUND = {"Signal.asend.<locals>.sync_send", "HttpResponseBase.close"}


def test_a_token_intake_through_the_asgi_server_crosses_to_a_thread_once(
    dana, team_a, team_b, crossings, django_capture_on_commit_callbacks, sent_events
):
    from crisis.asgi import django_asgi_app
    from tests.factories import api_token

    token = api_token(dana)
    body = json.dumps(CALL_DEFAULTS | {"screen": {"caller_not_asked": True}}).encode()
    headers = [(b"authorization", f"Token {token}".encode()), (b"content-type", b"application/json")]
    with django_capture_on_commit_callbacks(execute=True):
        status, heads, content = async_to_sync(_asgi)(
            django_asgi_app, "POST", "/api/calls/intake/", headers=headers, body=body
        )
    assert status == 201, content
    assert [a["status"] for a in json.loads(content)["assignments"]] == ["offered"]
    assert "call.offered" in [m["kind"] for m in sent_events]
    # The whole chain ran: the outermost and innermost middlewares' headers are on the answer.
    assert heads["x-frame-options"] == "DENY" and "content-security-policy" in heads
    assert heads["x-content-type-options"] == "nosniff"
    inside = [name for name in crossings if name not in AROUND]
    assert inside == ["BaseHandler.get_response"], crossings


def test_a_page_through_the_asgi_server_keeps_its_middlewares(crossings):
    """Sign-in required on pages (LoginRequiredMiddleware), in the same single crossing."""
    from crisis.asgi import django_asgi_app

    status, heads, _ = async_to_sync(_asgi)(django_asgi_app, "GET", "/")
    assert status == 302 and heads["location"].startswith("/login/")
    assert heads["x-frame-options"] == "DENY"
    assert [name for name in crossings if name not in AROUND] == ["BaseHandler.get_response"]


def test_an_api_request_without_credentials_is_refused_in_json():
    from crisis.asgi import django_asgi_app

    status, heads, content = async_to_sync(_asgi)(
        django_asgi_app,
        "POST",
        "/api/calls/intake/",
        headers=[(b"content-type", b"application/json")],
        body=b"{}",
    )
    assert status in (401, 403) and heads["content-type"].startswith("application/json"), content
