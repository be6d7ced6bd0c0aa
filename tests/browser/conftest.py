from tests.support.consults import consult_program, kit, on_call  # noqa: F401 (fixtures)
from tests.support.live_stack import chromium, chromium_fake_media, live_stack  # noqa: F401 (fixtures)
