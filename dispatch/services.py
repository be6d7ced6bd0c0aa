"""The public surface of live operations: every state change of a call, an offer or a team.

Grep `def call_`, `def assignment_`, `def team_` across the modules below to
see everything that can happen. Each lives in the module of its concern:

- `calls`        intake, triage, notes, closing, cancelling
- `assignments`  offers, accept / decline / lapse / withdraw, manual assignment, field progress
- `team_state`   the one writer of a team's live state (status, position, SOS), always audited
- `units`        the one writer of the police/EMS units on a call (each with its own status)
- `router`       a routing run over a region's waiting calls (`reoffer`: when a refusing team is asked again)
- `sweep`        the periodic safety net
- `timeline`     the transition table check and the call's event rows
- `rows`         the row each event and snapshot carries

Callers outside dispatch (views, API, tasks, tests, the demo seed) import
from here, so the split stays an implementation detail.
"""

from .assignments import (  # noqa: F401
    FIELD_STEPS,
    assignment_accept,
    assignment_decline,
    assignment_lapse,
    assignment_offer,
    assignment_withdraw,
    call_advance,
    call_assign,
    call_confirm_recommendation,
)
from .calls import (  # noqa: F401
    call_add_note,
    call_cancel,
    call_clear,
    call_close,
    call_create,
    call_intake,
    call_resolve_by_phone,
    call_set_needs,
    call_triage,
)
from .handoffs import call_record_handoff  # noqa: F401
from .router import call_route_new, calls_route_waiting  # noqa: F401
from .rows import alert_summary, call_summary, live_clocks, team_summary  # noqa: F401
from .sweep import PUSHED_STANDARDS, calls_sweep, calls_warn_standards  # noqa: F401
from .team_state import alert_acknowledge, team_raise_sos, team_report_location, team_set_status  # noqa: F401
from .units import unit_add, unit_set_status  # noqa: F401
