"""The one list of languages a call, a person and a responder can have: ISO 639 codes stored, names shown.

Intake picks a language by name, the team admin picks its members' languages by name, and the API accepts
only a code from this list (400 otherwise). The default list suits a US region (English, Spanish, the Census'
most-spoken languages, American Sign Language); a region sets `CRISIS_LANGUAGES` (in settings, or the
environment as "code:Name,code:Name") to its own.
"""

from __future__ import annotations

from django.conf import settings

# ISO 639-1 where one exists, else ISO 639-3 (yue Cantonese, hmn Hmong, ase American Sign Language).
DEFAULT_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("en", "English"),
    ("es", "Spanish"),
    ("zh", "Chinese (Mandarin)"),
    ("yue", "Cantonese"),
    ("vi", "Vietnamese"),
    ("tl", "Tagalog"),
    ("ar", "Arabic"),
    ("ko", "Korean"),
    ("ru", "Russian"),
    ("ht", "Haitian Creole"),
    ("pt", "Portuguese"),
    ("fr", "French"),
    ("ase", "American Sign Language"),
    ("so", "Somali"),
    ("am", "Amharic"),
    ("hmn", "Hmong"),
    ("pl", "Polish"),
    ("uk", "Ukrainian"),
    ("fa", "Persian (Farsi)"),
    ("hi", "Hindi"),
    ("ur", "Urdu"),
    ("ja", "Japanese"),
    ("de", "German"),
    ("it", "Italian"),
    ("sw", "Swahili"),
    ("ne", "Nepali"),
)

# The language a call needs no interpreter for: every responder speaks it.
DEFAULT = "en"


def choices() -> tuple[tuple[str, str], ...]:
    """(code, name) pairs, in the configured order (the most common first)."""
    return tuple(getattr(settings, "CRISIS_LANGUAGES", None) or DEFAULT_LANGUAGES)


def is_known(code: str) -> bool:
    return any(known == code for known, _ in choices())


def name(code: str) -> str:
    """The language's name, or the code itself for one no longer on the list (an old row)."""
    return next((label for known, label in choices() if known == code), code)


def unknown_message(code: str) -> str:
    return f"Unknown language code {code!r}: use one of {', '.join(known for known, _ in choices())}."
