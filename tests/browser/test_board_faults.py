"""The board across faults, in Chromium against the live stack: a counter reset (what a Redis restart
without persistence does to the sequence numbers) and a dead worker (the "routing paused" banner)."""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crisis import realtime as events
from dispatch import health
from tests.browser.test_live_journeys import WAIT, screenshot, sign_in
from tests.support.live_stack import off_loop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

BOARD = {"width": 1440, "height": 900}


def test_board_follows_a_counter_reset_and_says_when_routing_is_paused(live_stack, chromium, dana, team_a, new_call):
    board = chromium.new_page(viewport=BOARD)
    sign_in(board, live_stack.url, "dana")
    board.goto(f"{live_stack.url}/dispatch/board/")
    expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)
    banner = board.locator("#routing-paused")
    # The stack runs a worker with beat: once its heartbeat is in, there is no banner.
    expect(banner).to_be_hidden(timeout=WAIT)

    for n in range(2):
        call = off_loop(new_call, nature=f"Before the reset {n}")
        expect(board.locator(f'#calls tr[data-call="{call.pk}"]')).to_be_visible(timeout=WAIT)

    # Redis restarted empty: the counters and the epoch are gone, the next event is numbered 1 again.
    events._redis_client().delete(events._epoch_key(), *events._redis_client().keys(events._seq_key("*")))
    after = off_loop(new_call, nature="After the reset")
    expect(board.locator(f'#calls tr[data-call="{after.pk}"]')).to_be_visible(timeout=WAIT)
    expect(board.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT)

    # The worker dies: its heartbeat goes stale (backdated here rather than waiting out the threshold).
    worker = live_stack.procs["worker"]
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    last = timezone.now() - dt.timedelta(minutes=10)
    health.routing_heartbeat_record(worker="gone", at=last)
    expect(banner).to_be_visible(timeout=WAIT)  # from the next heartbeat frame, no reload
    since = board.evaluate("(iso) => CrisisLive.hhmm(new Date(iso))", last.isoformat())  # the browser's clock
    expect(banner).to_have_text(f"Automatic routing paused since {since} — assign teams manually.")
    screenshot(board, "board-routing-paused.png")
