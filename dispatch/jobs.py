"""The one door to the task queue: tasks are sent only after the transaction commits."""

from __future__ import annotations

import logging

from django.db import transaction

log = logging.getLogger(__name__)
_push_off_logged = False


def enqueue_routing(*, region: str, delay_seconds: float = 0) -> None:
    """Route the region's waiting calls after commit; `delay_seconds` later for a cool-down that ends then."""
    from .tasks import route_waiting

    if delay_seconds > 0:
        transaction.on_commit(lambda: route_waiting.apply_async((region,), countdown=delay_seconds), robust=True)
    else:
        transaction.on_commit(lambda: route_waiting.delay(region), robust=True)


def enqueue_offer_expiry(*, assignment_id: int, seconds: float) -> None:
    from .tasks import expire_offer

    # A little slack so the worker never wakes before the deadline it checks.
    transaction.on_commit(lambda: expire_offer.apply_async((assignment_id,), countdown=seconds + 0.5), robust=True)


def enqueue_offer_push(*, assignment_id: int) -> None:
    """Web Push the offer to the team's phones after commit; off (said once in the log) without VAPID keys."""
    global _push_off_logged
    from .push import push_config
    from .tasks import send_offer_push

    if push_config() is None:
        if not _push_off_logged:
            _push_off_logged = True
            log.warning(
                "Web Push is off: set WEBPUSH_VAPID_PUBLIC_KEY, WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_SUBJECT "
                "to notify phones of offers (manage.py webpush_keys makes a key pair)."
            )
        return
    transaction.on_commit(lambda: send_offer_push.delay(assignment_id), robust=True)


def enqueue_handoff_notice(*, call_id: int, agency: str) -> None:
    """Tell the partner agency of a call it must take, after commit (dispatch/handoffs.py)."""
    from .tasks import notify_handoff

    transaction.on_commit(lambda: notify_handoff.delay(call_id, agency), robust=True)
