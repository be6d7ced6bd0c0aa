from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .filters import Filters
from .keep import days_count

# The longest range the report's form offers a year and a bit of: keep those days counted.
DAYS = 400


@shared_task(acks_late=True, ignore_result=True)
def count_report_days() -> int:
    """Keep the reports' per-day figures current (reports/keep.py) so a supervisor's first read does not count
    them; safe to run twice and from two workers (a day another worker is counting is skipped)."""
    today = timezone.localdate()
    return days_count(Filters(start=today - timedelta(days=DAYS), end=today))
