"""Committed but never published (crisis/realtime.py's failure path): the clients still find out.

Redis unreachable at the moment of publish: the event cannot even be numbered. When Redis answers again
with its data intact (a blip, a pause), the epoch is the same and the counters did not move, so without this
every board would stay silently behind. The process reports the missed events by moving the counters on;
the next heartbeat frame shows each client a number it never got, and it reloads the snapshot.
"""

from __future__ import annotations

import time

import pytest
import redis

from crisis import realtime as events

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

GROUP = "dispatch.central"


@pytest.fixture(autouse=True)
def no_missed_left(monkeypatch):
    monkeypatch.setattr(events, "_missed", {})
    monkeypatch.setattr(events, "_missed_reporter", None)
    yield
    events._missed.clear()


def unreachable(*_args, **_kwargs):
    raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def publish_while_unreachable(monkeypatch, captured, **kwargs):
    """One publish whose numbering fails, with the reporter thread held back so the test drives it."""
    monkeypatch.setattr(events, "_report_missed_until_done", lambda: None)
    with monkeypatch.context() as m:
        m.setattr(events, "reserve_positions", unreachable)
        with captured(execute=True):
            events.publish("call.created", {"call": {"id": 1}}, **kwargs)


def test_a_publish_that_cannot_reach_redis_moves_the_counter_on_when_redis_answers(
    settings, monkeypatch, sent_events, django_capture_on_commit_callbacks
):
    assert settings.REDIS_URL
    epoch, before = events.current_position([GROUP, "supervisors"])

    publish_while_unreachable(monkeypatch, django_capture_on_commit_callbacks, groups=[GROUP, "supervisors"])
    publish_while_unreachable(monkeypatch, django_capture_on_commit_callbacks, groups=[GROUP])
    assert sent_events == []  # nothing reached any screen
    assert events._missed == {GROUP: 2, "supervisors": 1}
    assert events.current_position([GROUP]) == (epoch, {GROUP: before[GROUP]})  # invisible so far

    assert events.report_missed() == {GROUP: 2, "supervisors": 1}
    # A client that saw `before` now reads a heartbeat it is behind, in the same epoch: it resyncs.
    assert events.current_position([GROUP, "supervisors"]) == (
        epoch,
        {GROUP: before[GROUP] + 2, "supervisors": before["supervisors"] + 1},
    )
    assert events._missed == {}
    assert events.report_missed() == {}  # nothing twice


def test_the_reporter_retries_until_redis_answers_then_stops(settings, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(events, "MISSED_RETRY_SECONDS", 0.05)
    _, before = events.current_position([GROUP])
    real_client = events._redis_client
    attempts = {"n": 0}

    def flaky_client():
        attempts["n"] += 1
        if attempts["n"] <= 3:
            unreachable()
        return real_client()

    monkeypatch.setattr(events, "_redis_client", flaky_client)
    with monkeypatch.context() as m:
        m.setattr(events, "reserve_positions", unreachable)
        with django_capture_on_commit_callbacks(execute=True):
            events.publish("call.created", {}, groups=[GROUP])
    reporter = events._missed_reporter
    assert reporter is not None and reporter.is_alive()
    reporter.join(timeout=5)
    assert not reporter.is_alive() and events._missed_reporter is None
    assert attempts["n"] >= 4
    assert events.current_seqs([GROUP]) == {GROUP: before[GROUP] + 1}


def test_a_miss_while_the_reporter_runs_is_reported_too(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(events, "MISSED_RETRY_SECONDS", 0.2)
    _, before = events.current_position([GROUP])
    with monkeypatch.context() as m:
        m.setattr(events, "reserve_positions", unreachable)
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                events.publish("call.created", {}, groups=[GROUP])
            time.sleep(0.05)
    events._missed_reporter.join(timeout=5)
    assert events.current_seqs([GROUP]) == {GROUP: before[GROUP] + 3}


def test_the_embedded_mode_has_nothing_to_report(settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.REDIS_URL = ""
    publish_while_unreachable(monkeypatch, django_capture_on_commit_callbacks, groups=[GROUP])
    assert events._missed == {}
