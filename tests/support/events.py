"""The shared capture of realtime events in tests (as zulip's capture_send_event_calls): one message per group."""

from __future__ import annotations

import pytest

from crisis import realtime


@pytest.fixture
def sent_events(monkeypatch) -> list[dict]:
    out: list[dict] = []
    monkeypatch.setattr(realtime, "_send_now", lambda messages: out.extend(m for _, m in messages))
    return out
