from tests.support.events import sent_events  # noqa: F401 (fixture)
