"""reports/tables.py: formatting."""

import pytest

from reports.tables import fmt_duration


@pytest.mark.parametrize(
    "seconds, text",
    [(None, "–"), (0, "0:00"), (9.4, "0:09"), (65, "1:05"), (3600, "1:00:00"), (4270, "1:11:10"), (-5, "-0:05")],
)
def test_duration_format(seconds, text):
    assert fmt_duration(seconds) == text
