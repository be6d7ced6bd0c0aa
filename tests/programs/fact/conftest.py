from tests.support.fact import ELIGIBLE, enrolled, fact_program, fact_team, fact_team_2, fay, fay_on_call, hal  # noqa: F401
