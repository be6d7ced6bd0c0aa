"""reports/registry.py: every report builds, whatever the range or the database holds."""

import pytest

from reports.registry import REPORTS, build
from tests.reports.world import DAY, filters


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(REPORTS))
def test_empty_range_does_not_crash(world, name):
    report = build(name, filters(start=DAY.replace(year=2020), end=DAY.replace(year=2020)))
    for table in report.tables.values():
        table.display_rows()
        table.as_json()
    if name == "intervals":
        assert all(r["n"] == 0 and r["median"] is None for r in report.tables["summary"].rows)
    if name == "standards":
        assert all(r["share"] is None for r in report.tables["summary"].rows)
    if name == "outcomes":
        assert all(r["share"] is None for r in report.tables["summary"].rows)


@pytest.mark.django_db
def test_empty_database(db):
    for name in REPORTS:
        build(name, filters())
