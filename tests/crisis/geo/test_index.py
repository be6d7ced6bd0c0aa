"""The prefix search is served by an index (crisis/geo/models.py, geocoder._prefix), on PostgreSQL and SQLite.

Not a timing: the plan. With sequential scans priced out, the planner must still find an index for the query.
"""

import pytest
from django.db import connection

from crisis.geo.geocoder import _prefix
from crisis.geo.models import Address

pytestmark = pytest.mark.django_db


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " ".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("field", "index"), [("key", "geo_address_key_prefix"), ("street_key", "geo_address_street_prefix")]
)
def test_prefix_search_uses_its_index(field, index):
    plan = _plan(_prefix(Address.objects.all(), field, "1200 w la").order_by(field)[:8])
    assert index in plan, plan
