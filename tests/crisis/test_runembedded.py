"""The embedded mode restarts its in-process worker when it dies (crisis/management/commands/runembedded.py)."""

import json

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


def test_the_embedded_broker_is_polled_often_enough_for_a_live_board(tmp_path):
    """`make run` has no Redis: the in-process worker polls a folder; once a second made POST -> board ~1 s."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "CRISIS_TESTING")}
    env |= {"CRISIS_EMBEDDED": "1", "CRISIS_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "crisis.settings"}
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CELERY_BROKER_TRANSPORT_OPTIONS))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    options = json.loads(out.stdout.strip().splitlines()[-1])
    assert 0 < options["polling_interval"] <= 0.1


def _uvicorn_params(args: list[str]) -> dict:
    import sys

    import uvicorn  # noqa: F401 - loads uvicorn.main, whose click command parses the arguments as the CLI does

    return sys.modules["uvicorn.main"].main.make_context("uvicorn", args).params


def test_every_server_launch_sends_websocket_frames_uncompressed():
    """Each event's frame is encoded once per process and written as is to every socket; per-message deflate was a
    zlib pass per socket per event, the largest per-socket cost in a web process's profile under a surge."""
    import shlex
    from pathlib import Path

    import yaml

    from crisis.management.commands.runembedded import server_config

    root = Path(__file__).resolve().parents[2]
    dockerfile_cmd = next(line for line in (root / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    launches = {
        "Dockerfile": json.loads(dockerfile_cmd[4:])[1:],
        "docker-compose web": shlex.split(compose["services"]["web"]["command"])[1:],
    }
    for where, args in launches.items():
        assert _uvicorn_params(args)["ws_per_message_deflate"] is False, where
    assert server_config("127.0.0.1", 8000).ws_per_message_deflate is False
