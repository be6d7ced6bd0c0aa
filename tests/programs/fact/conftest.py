from tests.support.fact import (  # noqa: F401
    ELIGIBLE,
    after_hours,
    enrolled,
    fact_program,
    fact_team,
    fact_team_2,
    fay,
    fay_on_call,
    hal,
)
