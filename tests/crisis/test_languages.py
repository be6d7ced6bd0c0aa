"""crisis/languages.py: one configured list, codes stored and names shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crisis import languages

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_list_names_the_languages_of_a_us_region():
    names = dict(languages.choices())
    assert names["en"] == "English" and names["es"] == "Spanish" and names["yue"] == "Cantonese"
    assert names["ase"] == "American Sign Language" and names["ht"] == "Haitian Creole" and names["hmn"] == "Hmong"
    codes = [code for code, _ in languages.choices()]
    assert len(codes) == len(set(codes))


def test_a_setting_replaces_the_list(settings):
    settings.CRISIS_LANGUAGES = [("en", "English"), ("nv", "Navajo")]
    assert languages.is_known("nv") and not languages.is_known("es")
    assert languages.name("nv") == "Navajo"


@pytest.mark.parametrize(("code", "known", "name"), [("es", True, "Spanish"), ("xx", False, "xx"), ("", False, "")])
def test_known_codes_and_names(code, known, name):
    assert languages.is_known(code) is known
    assert languages.name(code) == name


def test_the_refusal_lists_the_codes():
    message = languages.unknown_message("xx")
    assert "'xx'" in message and "es" in message and "ase" in message


def _load(**env) -> subprocess.CompletedProcess:
    code = (
        "import django, json; django.setup(); from crisis import languages; "
        "print(json.dumps([list(c) for c in languages.choices()]))"
    )
    full = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "CRISIS_LANGUAGES"))}
    full.update(DJANGO_SETTINGS_MODULE="crisis.settings", CRISIS_TESTING="1", **env)
    return subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, check=False
    )


def test_the_environment_replaces_the_list():
    out = _load(CRISIS_LANGUAGES="en:English, nv:Navajo")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [["en", "English"], ["nv", "Navajo"]]


@pytest.mark.parametrize("value", ["es:Spanish", "English", "EN:English", "en:"])
def test_a_malformed_list_fails_at_start_up(value):
    out = _load(CRISIS_LANGUAGES=value)
    assert out.returncode != 0 and "CRISIS_LANGUAGES" in out.stderr
