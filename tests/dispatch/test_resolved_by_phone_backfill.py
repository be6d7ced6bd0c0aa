"""dispatch/migrations/0015: Call.resolved_by_phone_at backfilled set-based from each call's timeline."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from dispatch.models import Call, CallEvent

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("dispatch.migrations.0015_call_resolved_by_phone_at").BACKFILL


def _call(**kw):
    return Call.objects.create(source="911", address="1 Main St", call_type="mental_health", nature="x", **kw)


def test_the_backfill_takes_the_first_resolution_of_each_call_in_one_statement_and_leaves_the_rest():
    t = timezone.now() - timedelta(days=3)
    twice, once, never = _call(), _call(), _call(closed_at=t)
    CallEvent.objects.create(call=twice, kind="call.resolved_by_phone", at=t + timedelta(minutes=5))
    CallEvent.objects.create(call=twice, kind="call.resolved_by_phone", at=t)
    CallEvent.objects.create(call=once, kind="call.resolved_by_phone", at=t + timedelta(hours=1))
    CallEvent.objects.create(call=never, kind="call.closed", at=t)
    with connection.cursor() as cur:
        cur.execute(backfill)
    got = dict(Call.objects.values_list("pk", "resolved_by_phone_at"))
    assert got == {twice.pk: t, once.pk: t + timedelta(hours=1), never.pk: None}
