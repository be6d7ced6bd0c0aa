"""crisis/geo/models.py: the folded key prefix search runs on."""

import pytest

from crisis.geo.models import fold


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("1200 W. Lake St", "1200 w lake st"),
        ("1200 West Lake Street", "1200 w lake st"),
        ("  12  Rue de l'Église ", "12 rue de l eglise"),
        ("ÅSGATAN 4", "asgatan 4"),
        ("", ""),
    ],
)
def test_fold_drops_case_accents_punctuation_and_abbreviates(text, key):
    assert fold(text) == key


def test_a_word_still_being_typed_is_left_as_typed_until_it_is_whole():
    assert fold("1200 West La") == "1200 w la"
    assert fold("1200 wes") == "1200 wes"
    assert fold("1200 west") == "1200 w"
