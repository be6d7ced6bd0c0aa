"""Fixtures shared by the dispatch tests."""

from tests.support.events import sent_events  # noqa: F401 (fixture)
