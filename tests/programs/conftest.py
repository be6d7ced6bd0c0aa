from tests.support.consults import consult_program, kit, on_call, request_consult  # noqa: F401 (fixtures)
from tests.support.events import sent_events  # noqa: F401 (fixture)
from tests.support.fact import fact_program, fact_team  # noqa: F401 (fixtures)
from tests.support.stabilization import cora, dev, episode, stab_team  # noqa: F401 (fixtures)
