"""The program's labelled HUD living situations are codes the HMIS export accepts (integrations/hmis_spec.py)."""

from integrations.hmis_spec import CURRENT_LIVING_SITUATION
from programs.homeless_outreach.living import LivingSituation


def test_every_living_situation_is_a_hud_code_the_export_accepts():
    assert set(LivingSituation.values) == set(CURRENT_LIVING_SITUATION)
