"""The bounded CI subset of `make faults` (tests/faults/run.py): a Redis blip, a Redis restart without
persistence with boards connected, a PostgreSQL restart with the client retrying by Idempotency-Key, and the
race. Runs the real runner in its own process, against its own PostgreSQL and Redis (never the shared ones),
and holds it to the issue's bar: nothing lost, double-booked or duplicated, no stale board, recovered within 30 s.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import _missing
from tests.faults.lab import ROOT, missing_binaries

pytestmark = pytest.mark.faults_ci

SUMMARY = re.compile(r"^faults: (\d+) scenarios, (\d+) lost, (\d+) double, (\d+) duplicated, (\d+) stale boards$", re.M)


def test_the_ci_fault_scenarios_lose_nothing_and_recover_within_30s():
    problem = missing_binaries()
    if problem:
        _missing(problem)
    run = subprocess.run(  # noqa: S603 (our own runner)
        [sys.executable, "-m", "tests.faults.run", "--scenarios", "ci", "--calls", "20", "--race-rounds", "30"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(run.stdout)
    summary = SUMMARY.search(run.stdout)
    assert summary, f"no summary line:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert summary.groups() == ("5", "0", "0", "0", "0"), run.stdout
    assert run.returncode == 0, f"a scenario did not recover within 30 s:\n{run.stdout}"
