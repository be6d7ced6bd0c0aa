"""tests/support/strands.py: the invariant check must be able to fail."""

from __future__ import annotations

import pytest

from dispatch import jobs, services
from tests.support.strands import assert_no_call_strands, call_strands

pytestmark = pytest.mark.django_db


def test_a_call_left_waiting_while_a_team_is_free_is_a_strand(new_call, dana, team_a, monkeypatch):
    call = new_call(nature="Lost message")
    with monkeypatch.context() as m:
        m.setattr(jobs, "enqueue_routing", lambda **kw: None)  # routing never runs
        services.call_triage(call=call, screen={}, by=dana)
    [strand] = call_strands()
    assert f"call #{call.pk} (Lost message)" in strand and "Team A" in strand
    with pytest.raises(AssertionError, match="Calls strand"):
        assert_no_call_strands()
    services.calls_route_waiting(region="central")
    assert_no_call_strands()


def test_a_call_waiting_out_a_decline_cooldown_is_not_a_strand(
    new_call, dana, rita, team_a, django_capture_on_commit_callbacks
):
    call = new_call()
    with django_capture_on_commit_callbacks(execute=True):
        services.call_triage(call=call, screen={}, by=dana)
    offer = call.assignments.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.assignment_decline(assignment=offer, by=rita, reason="Still clearing")
    call.refresh_from_db()
    assert call.status == "awaiting_team" and not call.assignments.filter(status="offered").exists()
    assert_no_call_strands()
