"""The shared capture of realtime events in tests (as zulip's capture_send_event_calls): a dict per event, group."""

from __future__ import annotations

import pytest

from crisis import realtime


@pytest.fixture
def sent_events(monkeypatch) -> list[dict]:
    out: list[dict] = []
    # Each event as its own message: a transaction's events for one group travel as one (realtime.each_event).
    monkeypatch.setattr(
        realtime, "_send_now", lambda messages: out.extend(e for _, m in messages for e in realtime.each_event(m))
    )
    return out
