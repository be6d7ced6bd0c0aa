"""Issue 9: police/EMS hand-off (dispatch/handoffs.py, POST /api/calls/{id}/handoffs/, task notify_handoff).

EMS-only calls (a medical emergency) go to EMS alone; a weapon with violence goes to police; the call is flagged
(`handoff_pending` in its row, a clock from triage) until each agency's hand-off is recorded. Each agency is told
through its own hook, after commit, retried; the local HTTP server here stands in for the agency's system.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
from django.utils import timezone

from crisis.errors import Conflict, InvalidInput
from dispatch import handoffs, rows, services, tasks
from dispatch.models import Handoff

pytestmark = pytest.mark.django_db

MEDICAL = {"medical": True}
ARMED = {"weapons": True, "violence": True}
BOTH = {"weapons": True, "violence": True, "medical": True}


class Agency:
    """An agency's CAD endpoint on 127.0.0.1 answering `statuses` in turn (the last one repeats)."""

    def __init__(self, *statuses: int):
        received = self.received = []
        answers = list(statuses) or [200]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append({"headers": dict(self.headers), "body": body})
                self.send_response(answers.pop(0) if len(answers) > 1 else answers[0])
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cad"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def quiet_hooks(settings):
    settings.HANDOFF_HOOK_URLS = {"police": "", "ems": ""}


def triaged(new_call, dana, screen, capture):
    call = new_call(nature="Collapsed, not breathing well", address="1200 W Lake St")
    with mock.patch("dispatch.tasks.notify_handoff.delay") as delay, capture(execute=True):
        services.call_triage(call=call, screen=screen, by=dana)
    call.refresh_from_db()
    return call, [c.args for c in delay.call_args_list]


@pytest.mark.parametrize(
    ("screen", "agencies"),
    [
        (MEDICAL, ["ems"]),
        (ARMED, ["police"]),
        (BOTH, ["police", "ems"]),
        ({"intoxication": True}, []),
        # The wider screen: an overdose risk is the EMS-only path; an assault in progress is police's, armed or not.
        ({"overdose_risk": True, "intoxication": True}, ["ems"]),
        ({"assault_in_progress": True}, ["police"]),
        ({"assault_in_progress": True, "overdose_risk": True}, ["police", "ems"]),
    ],
)
def test_triage_decides_which_agencies_take_the_call_and_notifies_each_after_commit(
    new_call, dana, django_capture_on_commit_callbacks, screen, agencies
):
    call, notices = triaged(new_call, dana, screen, django_capture_on_commit_callbacks)
    row = rows.call_summary(call)
    assert row["handoff_pending"] == agencies
    assert notices == [(call.pk, a) for a in agencies]
    if agencies:
        assert row["handoff_since"] == call.triaged_at.isoformat()
        assert call.events.filter(kind="call.handoff_requested").get().detail["agencies"] == agencies
    else:
        assert row["handoff_since"] is None


def test_recording_each_hand_off_clears_its_flag_and_writes_the_timeline(
    new_call, dana, django_capture_on_commit_callbacks
):
    call, _ = triaged(new_call, dana, BOTH, django_capture_on_commit_callbacks)
    at = call.received_at + timedelta(seconds=30)
    handoff = services.call_record_handoff(
        call=call, agency="ems", incident_number=" F-2611-0042 ", unit="Medic 14", handed_off_at=at, by=dana
    )
    assert (handoff.incident_number, handoff.unit, handoff.handed_off_at) == ("F-2611-0042", "Medic 14", at)
    call.refresh_from_db()
    assert rows.call_summary(call)["handoff_pending"] == ["police"]
    services.call_record_handoff(call=call, agency="police", incident_number="P-99", unit="1021", by=dana)
    call.refresh_from_db()
    row = rows.call_summary(call)
    assert row["handoff_pending"] == [] and row["handoff_since"] is None
    event = call.events.filter(kind="call.handed_off").first()
    assert event.detail["agency"] == "ems" and event.detail["unit"] == "Medic 14" and event.actor == dana


def test_a_second_record_for_the_same_agency_is_a_conflict(new_call, dana, django_capture_on_commit_callbacks):
    call, _ = triaged(new_call, dana, MEDICAL, django_capture_on_commit_callbacks)
    services.call_record_handoff(call=call, agency="ems", incident_number="F-1", unit="M1", by=dana)
    with pytest.raises(Conflict):
        services.call_record_handoff(call=call, agency="ems", incident_number="F-2", unit="M2", by=dana)
    assert Handoff.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"agency": "fire"}, "agency"),
        ({"incident_number": "  "}, "incident_number"),
        ({"unit": ""}, "unit"),
        ({"handed_off_at": timezone.now() + timedelta(hours=1)}, "handed_off_at"),
        ({"handed_off_at": timezone.now() - timedelta(days=3)}, "handed_off_at"),
    ],
)
def test_bad_hand_off_input_is_refused_whole(new_call, dana, quiet_hooks, change, field):
    call = new_call()
    kwargs = {"agency": "police", "incident_number": "P-1", "unit": "1021"} | change
    with pytest.raises(InvalidInput) as exc:
        services.call_record_handoff(call=call, by=dana, **kwargs)
    assert exc.value.field == field
    assert not Handoff.objects.exists()


def test_api_records_a_hand_off_for_the_desk_only(client, dana, rita, new_call, quiet_hooks):
    call = new_call()
    body = {"agency": "ems", "incident_number": "F-7", "unit": "Medic 3"}
    client.force_login(rita)
    assert client.post(f"/api/calls/{call.pk}/handoffs/", body, content_type="application/json").status_code == 403
    client.force_login(dana)
    response = client.post(f"/api/calls/{call.pk}/handoffs/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["unit"] == "Medic 3" and response.json()["recorded_by"] == "dana"
    again = client.post(f"/api/calls/{call.pk}/handoffs/", body, content_type="application/json")
    assert again.status_code == 409
    detail = client.get(f"/api/calls/{call.pk}/").json()
    assert [h["incident_number"] for h in detail["handoffs"]] == ["F-7"]


# --- the outbound hook -----------------------------------------------------------------------------------


def test_the_hook_posts_the_call_to_that_agency_signed(new_call, dana, settings, django_capture_on_commit_callbacks):
    ems, police = Agency(200), Agency(200)
    settings.HANDOFF_HOOK_URLS = {"police": police.url, "ems": ems.url}
    settings.HANDOFF_HOOK_SECRET = "s3cret"
    try:
        call, _ = triaged(new_call, dana, MEDICAL, django_capture_on_commit_callbacks)
        assert handoffs.handoff_notify(call_id=call.pk, agency="ems") is True
    finally:
        ems.close()
        police.close()
    assert police.received == []  # EMS-only: the police are not told
    (got,) = ems.received
    body = json.loads(got["body"])
    assert body["agency"] == "ems" and body["call_id"] == call.pk and body["address"] == "1200 W Lake St"
    assert body["medical"] is True and body["weapons"] is False
    expected = hmac.new(b"s3cret", got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["X-Crisis-Signature"] == f"sha256={expected}"
    assert got["headers"]["X-Crisis-Delivery"] == f"call-{call.pk}-ems"
    assert call.events.filter(kind="call.handoff_notified").get().detail == {"agency": "ems", "status": 200}


def test_the_task_retries_a_failing_hook_then_the_timeline_says_it_failed(
    new_call, dana, settings, django_capture_on_commit_callbacks
):
    down = Agency(503)
    settings.HANDOFF_HOOK_URLS = {"police": down.url, "ems": ""}
    try:
        call, _ = triaged(new_call, dana, ARMED, django_capture_on_commit_callbacks)
        with mock.patch.object(tasks.notify_handoff, "retry", side_effect=RuntimeError("retry")) as retry:
            with pytest.raises(RuntimeError):
                tasks.notify_handoff.apply(args=(call.pk, "police"), throw=True)
        assert retry.call_args.kwargs["countdown"] == 2
        assert not call.events.filter(kind="call.handoff_notify_failed").exists()
        # The last try: no more retries, the timeline says so (the board's flag and clock still run).
        result = tasks.notify_handoff.apply(args=(call.pk, "police"), retries=tasks.HANDOFF_RETRIES)
        assert result.get() is False
    finally:
        down.close()
    assert len(down.received) == 2
    failed = call.events.filter(kind="call.handoff_notify_failed").get()
    assert failed.detail["agency"] == "police" and "503" in failed.detail["error"]
    call.refresh_from_db()
    assert rows.call_summary(call)["handoff_pending"] == ["police"]


def test_no_notice_once_recorded_or_without_a_hook(
    new_call, dana, settings, django_capture_on_commit_callbacks, caplog
):
    settings.HANDOFF_HOOK_URLS = {"police": "", "ems": ""}
    call, _ = triaged(new_call, dana, MEDICAL, django_capture_on_commit_callbacks)
    assert handoffs.handoff_notify(call_id=call.pk, agency="ems") is False
    assert "Hand-off hook for ems is off (HANDOFF_EMS_URL unset)" in caplog.text
    services.call_record_handoff(call=call, agency="ems", incident_number="F-1", unit="M1", by=dana)
    settings.HANDOFF_HOOK_URLS = {"police": "", "ems": "http://127.0.0.1:9/never"}
    assert handoffs.handoff_notify(call_id=call.pk, agency="ems") is False


def test_retriage_away_from_police_ems_clears_the_flag(new_call, dana, django_capture_on_commit_callbacks):
    call, _ = triaged(new_call, dana, MEDICAL, django_capture_on_commit_callbacks)
    with mock.patch("dispatch.tasks.notify_handoff.delay"), django_capture_on_commit_callbacks(execute=True):
        services.call_triage(call=call, screen={"intoxication": True}, by=dana)
    call.refresh_from_db()
    assert rows.call_summary(call)["handoff_pending"] == []
    assert call.events.filter(kind="call.handoff_not_needed").exists()
