"""The embedded mode restarts its in-process worker when it dies (crisis/management/commands/runembedded.py)."""

import pytest

from crisis.management.commands.runembedded import supervise


def test_a_worker_that_dies_is_started_again_with_backoff_and_a_clean_stop_ends_it():
    outcomes = iter([1, RuntimeError("boom"), SystemExit(1), 0])
    runs, sleeps = [], []

    def run():
        runs.append(1)
        outcome = next(outcomes)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    supervise(run, sleep=sleeps.append)
    assert len(runs) == 4
    assert sleeps == [1.0, 2.0, 4.0]


@pytest.mark.parametrize("clean", [0, None])
def test_a_clean_stop_is_not_restarted(clean):
    runs = []
    supervise(lambda: runs.append(1) or clean, sleep=lambda s: None)
    assert runs == [1]
