"""reports/tasks.py: the beat task keeps the standards' per-day counts current."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from reports import rollup, tasks
from reports.models import KeptDay
from tests.reports.world import mk


@pytest.mark.django_db
def test_the_beat_task_counts_every_ended_day_of_the_last_400_once():
    mk(timezone.now() - timedelta(days=3))
    # From 400 days ago to the last day that ended an hour ago (yesterday, or the day before just after midnight).
    ended = (rollup.last_day_kept(timezone.now()) - (timezone.localdate() - timedelta(days=tasks.DAYS))).days + 1
    assert tasks.count_report_days.apply().get() == ended
    assert KeptDay.objects.filter(stale=False).count() == ended
    assert tasks.count_report_days.apply().get() == 0
    assert settings.CELERY_BEAT_SCHEDULE["reports-days"]["task"] == "reports.tasks.count_report_days"
