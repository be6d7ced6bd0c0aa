from tests.support.consults import consult_program, kit, on_call  # noqa: F401 (fixtures)
from tests.support.fact import after_hours, enrolled, fact_program, fact_team, fay, fay_on_call  # noqa: F401 (fixtures)
from tests.support.live_stack import chromium, chromium_fake_media, live_stack  # noqa: F401 (fixtures)
from tests.support.stabilization import cora, episode, stab_team  # noqa: F401 (fixtures)
