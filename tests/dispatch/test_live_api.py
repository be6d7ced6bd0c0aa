"""REST snapshots the live screens resynchronise from, notes, and refusing stale taps (dispatch/live_api.py)."""

from __future__ import annotations

import pytest

from crisis import realtime as events
from dispatch import services
from dispatch.models import Assignment, Call
from responders.models import SosAlert

pytestmark = pytest.mark.django_db

PERSONAS = ["dana", "cam", "sue", "oli", "ada", "rita", "nora"]


@pytest.fixture
def offered(dana, team_a, new_call):
    """A triaged call offered to Team A, with weapons flagged."""
    call = new_call(narrative="He says he has a knife.")
    services.call_triage(call=call, screen={"weapons": True, "intoxication": True}, by=dana)
    call.refresh_from_db()
    assignment = services.assignment_offer(call=call, team=team_a)
    return call, assignment


@pytest.mark.parametrize("persona", PERSONAS)
def test_board_snapshot_is_for_dispatch_desks_only(client, persona, request, team_a):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/api/board/")
    assert response.status_code == (200 if persona in {"dana", "cam", "sue", "ada"} else 403)


@pytest.mark.parametrize("persona", PERSONAS)
def test_my_team_snapshot_is_for_responders_only(client, persona, request, team_a):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/api/my-team/")
    assert response.status_code == (200 if persona == "rita" else 403)


def test_board_snapshot_shows_offers_teams_alerts_and_the_sequence_it_is_current_to(
    client, dana, rita, offered, team_a, team_b, django_assert_max_num_queries
):
    call, assignment = offered
    SosAlert.objects.create(team=team_a, raised_by=rita)
    for _ in range(3):
        services.call_add_note(call=call, by=dana, text="x")
    client.force_login(dana)
    with django_assert_max_num_queries(9):  # 8 + the audit row (dispatch.board.viewed)
        body = client.get("/api/board/").json()
    assert set(body["seq"]) == {"dispatch.central"}
    row = next(c for c in body["calls"] if c["id"] == call.pk)
    assert row["assignment"]["id"] == assignment.pk
    assert row["assignment"]["status"] == "offered"
    assert row["assignment"]["team_name"] == "Team A"
    assert row["assignment"]["expires_at"]
    assert [t["name"] for t in body["teams"]] == ["Team A", "Team B"]
    assert [a["team_name"] for a in body["alerts"]] == ["Team A"]
    assert body["settings"]["location_stale_seconds"] > 0


def test_board_query_count_does_not_grow_with_calls(client, dana, team_a, new_call, django_assert_max_num_queries):
    for n in range(15):
        new_call(nature=f"call {n}")
    client.force_login(dana)
    with django_assert_max_num_queries(9):  # 8 + the audit row
        assert len(client.get("/api/board/").json()["calls"]) == 15


def test_board_snapshot_is_limited_to_the_dispatchers_region(client, dana, new_call, team_a):
    new_call(region="north", nature="elsewhere")
    mine = new_call()
    client.force_login(dana)
    assert [c["id"] for c in client.get("/api/board/").json()["calls"]] == [mine.pk]


def test_supervisors_see_every_region(client, sue, new_call):
    new_call(region="north")
    new_call()
    client.force_login(sue)
    body = client.get("/api/board/").json()
    assert len(body["calls"]) == 2
    assert set(body["seq"]) == {"supervisors"}


def test_snapshot_reads_the_sequence_before_the_rows(client, dana, monkeypatch, new_call):
    # An event numbered at or below the snapshot's seq must already be in its rows.
    order = []
    real = events.current_position
    monkeypatch.setattr(events, "current_position", lambda groups: order.append("seq") or real(groups))
    from dispatch import selectors

    real_queue = selectors.queue
    monkeypatch.setattr(selectors, "queue", lambda **kw: order.append("rows") or real_queue(**kw))
    client.force_login(dana)
    client.get("/api/board/")
    assert order == ["seq", "rows"]


def test_my_team_snapshot_has_the_offer_with_call_details_and_risk_flags(
    client, rita, offered, team_a, django_assert_max_num_queries
):
    call, assignment = offered
    client.force_login(rita)
    with django_assert_max_num_queries(11):  # 10 + the audit row (dispatch.my_team.viewed)
        body = client.get("/api/my-team/").json()
    assert body["team"]["id"] == team_a.pk
    assert set(body["seq"]) == {f"team.{team_a.pk}"}
    assert body["assignment"]["id"] == assignment.pk
    assert body["assignment"]["expires_at"]
    assert body["call"]["address"] == "1200 W Lake St"
    assert body["call"]["callback_number"] == "312-555-0101"
    assert body["call"]["narrative"] == "He says he has a knife."
    flags = body["call"]["flags"]
    assert flags[0] == {"code": "weapons", "label": "Weapons", "danger": True}
    assert {"code": "intoxication", "label": "Intoxicated", "danger": False} in flags


def test_my_team_snapshot_without_a_call(client, rita, team_a):
    client.force_login(rita)
    body = client.get("/api/my-team/").json()
    assert (body["assignment"], body["call"]) == (None, None)


def test_the_team_and_the_desk_add_notes_others_may_not(client, offered, rita, bo, dana, team_b):
    call, assignment = offered
    client.force_login(bo)
    assert (
        client.post(f"/api/calls/{call.pk}/notes/", {"text": "hi"}, content_type="application/json").status_code == 403
    )
    services.assignment_accept(assignment=assignment, by=rita)
    client.force_login(rita)
    response = client.post(f"/api/calls/{call.pk}/notes/", {"text": "On our way"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["text"] == "On our way"
    assert (
        client.post(f"/api/calls/{call.pk}/notes/", {"text": " "}, content_type="application/json").status_code == 400
    )
    client.force_login(dana)
    assert (
        client.post(f"/api/calls/{call.pk}/notes/", {"text": "ok"}, content_type="application/json").status_code == 201
    )
    assert list(call.events.filter(kind="call.note").values_list("detail__text", flat=True)) == ["On our way", "ok"]


def _accepted(offered, rita):
    call, assignment = offered
    services.assignment_accept(assignment=assignment, by=rita)
    return call


def test_an_out_of_order_status_tap_is_refused_with_409_and_changes_nothing(client, offered, rita):
    call = _accepted(offered, rita)
    client.force_login(rita)
    # Queued offline: "en route" then "on scene". Meanwhile the team was already marked on scene.
    services.call_advance(call=call, to="on_scene", by=rita)
    before = Call.objects.get(pk=call.pk)
    events_before = before.events.count()
    response = client.post(
        f"/api/calls/{call.pk}/advance/",
        {"status": "en_route", "expected_status": "assigned"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "the call is now on scene" in response.json()["detail"]
    after = Call.objects.get(pk=call.pk)
    assert (after.status, after.status_changed_at) == (before.status, before.status_changed_at)
    assert after.events.count() == events_before


def test_replayed_taps_in_order_are_applied(client, offered, rita):
    call = _accepted(offered, rita)
    client.force_login(rita)
    for to, expected in (("en_route", "assigned"), ("on_scene", "en_route")):
        response = client.post(
            f"/api/calls/{call.pk}/advance/",
            {"status": to, "expected_status": expected},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
    response = client.post(
        f"/api/calls/{call.pk}/clear/",
        {"disposition": "stabilized", "expected_status": "on_scene"},
        content_type="application/json",
    )
    assert response.status_code == 200
    call.refresh_from_db()
    assert (call.status, call.disposition) == ("closed", "stabilized")
    assert Assignment.objects.get(call=call).status == "completed"


def test_a_stale_clear_is_refused_with_409(client, offered, rita):
    call = _accepted(offered, rita)
    services.call_advance(call=call, to="on_scene", by=rita)
    services.call_advance(call=call, to="transporting", by=rita, destination="Mercy ED")
    client.force_login(rita)
    response = client.post(
        f"/api/calls/{call.pk}/clear/",
        {"disposition": "stabilized", "expected_status": "on_scene"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "transporting" in response.json()["detail"]
    call.refresh_from_db()
    assert call.status == "transporting"


def test_a_stale_team_status_change_is_refused_with_409(client, rita, team_a):
    client.force_login(rita)
    version = team_a.version
    ok = client.post(
        f"/api/teams/{team_a.pk}/status/",
        {"status": "out_of_service", "expected_version": version},
        content_type="application/json",
    )
    assert ok.status_code == 200
    stale = client.post(
        f"/api/teams/{team_a.pk}/status/",
        {"status": "off_shift", "expected_version": version},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert "old view" in stale.json()["detail"]
    team_a.refresh_from_db()
    assert team_a.status == "out_of_service"


def test_call_events_carry_the_full_row_with_the_offer(
    dana, team_a, new_call, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import transaction

    sent = []
    call = new_call()
    services.call_triage(call=call, screen={"weapons": True}, by=dana)
    monkeypatch.setattr(events, "_send_now", lambda messages: sent.extend(m for _, m in messages))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.assignment_offer(call=Call.objects.select_for_update().get(pk=call.pk), team=team_a)
    offered = [m for m in sent if m["kind"] == "call.offered"]
    assert {m["group"] for m in offered} == {"dispatch.central", "supervisors", f"team.{team_a.pk}"}
    row = offered[0]["data"]["call"]
    assert row["assignment"]["team_id"] == team_a.pk and row["assignment"]["status"] == "offered"
    assert row["status"] == "awaiting_team"
