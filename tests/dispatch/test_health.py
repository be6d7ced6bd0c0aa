"""Routing health (dispatch/health.py): the worker's heartbeat, and when the boards call routing paused."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from dispatch import health, tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_key(settings, monkeypatch):
    """A key of our own (Redis when REDIS_URL is set, else this process) and no remembered stamp."""
    settings.CHANNEL_LAYERS = {"default": settings.CHANNEL_LAYERS["default"] | {"CONFIG": {"prefix": uuid.uuid4().hex}}}
    settings.WORKER_HEARTBEAT_STALE_SECONDS = 30
    monkeypatch.setattr(health, "_local", {})
    monkeypatch.setattr(health, "_last_seen", {})
    yield
    if settings.REDIS_URL:
        health._client().delete(health._key())


NOW = dt.datetime(2026, 11, 27, 14, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "beat_seconds_ago, paused",
    [(None, True), (0, False), (29, False), (30, False), (31, True), (600, True)],
)
def test_routing_is_paused_when_the_heartbeat_is_missing_or_older_than_the_threshold(beat_seconds_ago, paused):
    if beat_seconds_ago is not None:
        health.routing_heartbeat_record(worker="w1", at=NOW - dt.timedelta(seconds=beat_seconds_ago))
    got = health.routing_health(NOW)
    assert got["paused"] is paused
    assert got["stale_after_seconds"] == 30
    expected_since = None if beat_seconds_ago is None else (NOW - dt.timedelta(seconds=beat_seconds_ago)).isoformat()
    assert got["since"] == expected_since


def test_the_heartbeat_task_stamps_now():
    tasks.heartbeat.delay()  # eager in tests
    got = health.routing_health()
    assert got["paused"] is False
    assert abs((timezone.now() - dt.datetime.fromisoformat(got["since"])).total_seconds()) < 5


def test_when_the_store_cannot_be_read_it_is_paused_since_the_last_stamp_seen(monkeypatch):
    health.routing_heartbeat_record(worker="w1", at=NOW)
    assert health.routing_health(NOW)["paused"] is False

    def down():
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(health, "_read_stamp", down)
    later = NOW + dt.timedelta(seconds=45)
    assert health.routing_health(later) == {"paused": True, "since": NOW.isoformat(), "stale_after_seconds": 30}


def test_the_board_snapshot_carries_routing_health(client, dana):
    health.routing_heartbeat_record(worker="w1")
    client.force_login(dana)
    body = client.get("/api/board/").json()
    assert body["routing"]["paused"] is False
    health.routing_heartbeat_record(worker="w1", at=timezone.now() - dt.timedelta(minutes=5))
    assert client.get("/api/board/").json()["routing"]["paused"] is True
