from tests.support.live_stack import chromium, live_stack  # noqa: F401 (fixtures)
