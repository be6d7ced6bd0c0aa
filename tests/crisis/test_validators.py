"""crisis/validators.py: numbers from query strings that the database can compare."""

import pytest

from crisis.validators import MAX_DB_INT, MIN_DB_INT, parse_db_int


@pytest.mark.parametrize(
    "raw, expected",
    [("0", 0), ("42", 42), ("-7", -7), (" 12 ", 12), (str(MAX_DB_INT), MAX_DB_INT), (str(MIN_DB_INT), MIN_DB_INT)],
)
def test_accepts_what_a_bigint_holds(raw, expected):
    assert parse_db_int(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "1.5", "²", "NaN", str(MAX_DB_INT + 1), str(MIN_DB_INT - 1), "9" * 40])
def test_refuses_the_rest_with_a_value_error(raw):
    with pytest.raises(ValueError):
        parse_db_int(raw)
