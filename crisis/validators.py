"""Input checks shared by API views, pages and forms."""

import unicodedata

# What a bigint column holds on PostgreSQL and an INTEGER on SQLite. A larger id or number
# in a query string would make the database driver raise (a 500) instead of matching nothing.
MIN_DB_INT = -(2**63)
MAX_DB_INT = 2**63 - 1


def parse_db_int(value: str) -> int:
    """A whole number from a query parameter that the database can compare; ValueError otherwise."""
    number = int(value)
    if not MIN_DB_INT <= number <= MAX_DB_INT:
        raise ValueError(f"{value!r} is out of range.")
    return number


def name_key(text: str) -> str:
    """A name folded for matching: accents dropped, case folded, spacing and punctuation collapsed.

    "José  O'Neil" and "jose o neil" give the same key, so the desk finds a person however the name was typed.
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = "".join(ch if ch.isalnum() else " " for ch in bare).split()
    return " ".join(words)[:170]


def phone_digits(text: str) -> str:
    """A phone number's digits, the last 10 (a North American number without its +1 country code)."""
    digits = "".join(ch for ch in (text or "") if ch.isdigit())
    return digits[-10:]
