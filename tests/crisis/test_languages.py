"""crisis/languages.py: one configured list, codes stored and names shown."""

from __future__ import annotations

import pytest

from crisis import languages


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
