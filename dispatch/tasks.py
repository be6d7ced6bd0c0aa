"""Thin tasks: take ids, call a service, safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from . import handoffs, health, push, services, simulator


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=1)
def route_waiting(self, region: str) -> int:
    try:
        return len(services.calls_route_waiting(region=region))
    except OperationalError as exc:  # e.g. a lock timeout or a dropped connection
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=1)
def expire_offer(self, assignment_id: int) -> bool:
    try:
        return services.assignment_lapse(assignment_id=assignment_id)
    except OperationalError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=1)
def send_offer_push(self, assignment_id: int) -> int:
    try:
        return push.offer_push_send(assignment_id=assignment_id)
    except OperationalError as exc:
        raise self.retry(exc=exc) from exc


# Back-off 2, 4, 8, 16, 32, 60 s: about two minutes of trying before the timeline says the notice failed.
HANDOFF_RETRIES = 6


@shared_task(bind=True, acks_late=True, max_retries=HANDOFF_RETRIES)
def notify_handoff(self, call_id: int, agency: str) -> bool:
    try:
        return handoffs.handoff_notify(call_id=call_id, agency=agency)
    except (handoffs.HookFailed, OperationalError) as exc:
        if self.request.retries >= HANDOFF_RETRIES:
            handoffs.handoff_notify_failed(call_id=call_id, agency=agency, error=str(exc))
            return False
        raise self.retry(exc=exc, countdown=min(60, 2 ** (self.request.retries + 1))) from exc


@shared_task(acks_late=True)
def sweep() -> dict:
    return services.calls_sweep()


@shared_task(bind=True, ignore_result=True)
def heartbeat(self) -> None:
    """Beat sends this every few seconds; a fresh stamp tells the boards that routing is running."""
    health.routing_heartbeat_record(worker=self.request.hostname or "worker")


@shared_task(ignore_result=True)
def simulate() -> None:
    """The demo's simulated shift, one tick (beat sends it only with DEMO_SIMULATOR=1; dispatch/simulator.py)."""
    from django.conf import settings

    if settings.DEMO_SIMULATOR:
        simulator.simulator_tick()
