"""BOARD_ALARM_EVENTS / BOARD_ALARM_SOS_REPEAT_SECONDS: defaults, and a malformed value fails at start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(**env) -> subprocess.CompletedProcess:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.BOARD_ALARM_EVENTS, settings.BOARD_ALARM_SOS_REPEAT_SECONDS]))"
    )
    full = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "BOARD_ALARM"))}
    full.update(DJANGO_SETTINGS_MODULE="crisis.settings", CRISIS_TESTING="1", **env)
    return subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("env", "events", "repeat"),
    [
        ({}, ["p1", "sos", "unrouted"], 20),
        ({"BOARD_ALARM_EVENTS": "sos, unrouted"}, ["sos", "unrouted"], 20),
        ({"BOARD_ALARM_EVENTS": "", "BOARD_ALARM_SOS_REPEAT_SECONDS": "0"}, [], 0),
    ],
)
def test_alarm_settings_from_the_environment(env, events, repeat):
    out = _load(**env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [events, repeat]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BOARD_ALARM_EVENTS": "p1,fire"}, "BOARD_ALARM_EVENTS must list some of p1, sos, unrouted"),
        ({"BOARD_ALARM_SOS_REPEAT_SECONDS": "-5"}, "BOARD_ALARM_SOS_REPEAT_SECONDS must be 0 or more"),
        ({"BOARD_ALARM_SOS_REPEAT_SECONDS": "soon"}, "BOARD_ALARM_SOS_REPEAT_SECONDS must be an integer"),
    ],
)
def test_a_malformed_alarm_setting_fails_loudly(env, message):
    out = _load(**env)
    assert out.returncode != 0
    assert message in out.stderr
