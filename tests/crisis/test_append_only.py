"""Append-only tables on PostgreSQL (crisis 0002/0003, dispatch 0003): the audit trail and the call timelines.

Whatever the app or a shell sends, the database refuses UPDATE, DELETE and TRUNCATE on both tables.
"""

import pytest
from django.db import connection, transaction

from crisis import audit
from crisis.models import AuditEntry
from dispatch.models import CallEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TABLES = ["crisis_auditentry", "dispatch_callevent"]
STATEMENTS = [
    "UPDATE {table} SET detail = '{{}}'::jsonb",
    "DELETE FROM {table}",
    "DELETE FROM {table} WHERE id = (SELECT max(id) FROM {table})",
    "TRUNCATE {table}",
    "TRUNCATE {table} CASCADE",
]


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_database_refuses(new_call, dana, table, statement):
    new_call()
    # A call's creation is on its timeline only (one log per fact), so the audit table needs a row of its own.
    audit.record(actor=dana, action="crisis.test.row")
    counts = (AuditEntry.objects.count(), CallEvent.objects.count())
    assert counts[0] > 0 and counts[1] > 0
    with connection.cursor() as cur:
        # The rows were inserted in this test's transaction: their deferred foreign-key checks would make
        # PostgreSQL refuse TRUNCATE for that reason ("pending trigger events") before the guard runs.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement.format(table=table))
    assert (AuditEntry.objects.count(), CallEvent.objects.count()) == counts


def test_a_call_with_a_timeline_cannot_be_deleted(new_call):
    call = new_call()
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        call.delete()
    assert CallEvent.objects.filter(call=call).exists()


def test_new_rows_are_still_written(new_call):
    call = new_call()
    before = CallEvent.objects.filter(call=call).count()
    from dispatch import services

    services.call_cancel(call=call, by=call.created_by, reason="duplicate")
    assert CallEvent.objects.filter(call=call).count() > before
