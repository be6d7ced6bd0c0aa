"""Video from the field (programs/le_consult/services.py `video_session_*`, ice.py, the video page)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crisis.errors import InvalidInput, InvalidTransition
from crisis.models import AuditEntry
from programs.le_consult import services
from programs.le_consult.ice import ice_servers
from programs.le_consult.models import Consult, VideoSession
from programs.le_consult.rows import consult_row
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(request_consult, cam):
    consult = request_consult(need="video")
    consult = services.consult_accept(consult=consult, by=cam)
    return services.video_consent_record(consult=consult, by=cam, agreed=True)


def video_audit(consult) -> list[tuple[str, dict]]:
    entries = AuditEntry.objects.filter(object_id=str(consult.pk), action__startswith="le_consult.video.")
    return [(e.action, e.detail) for e in entries.order_by("id")]


def test_a_call_starts_with_the_first_side_and_its_clock_runs_once_both_are_in(accepted, oli, cam):
    t0 = timezone.now()
    session, other_in = services.video_session_join(consult=accepted, by=oli, now=t0)
    assert not other_in and session.officer_joined_at == t0 and session.connected_at is None
    session, other_in = services.video_session_join(consult=accepted, by=cam, now=t0 + timedelta(seconds=20))
    assert other_in and session.connected_at == t0 + timedelta(seconds=20)
    # Joining again (a second tab, a reconnect before the drop was noticed) changes nothing.
    again, _ = services.video_session_join(consult=accepted, by=cam, now=t0 + timedelta(seconds=30))
    assert again.pk == session.pk and again.clinician_joined_at == t0 + timedelta(seconds=20)

    ended = services.video_session_end(consult=accepted, by=cam, reason="hung_up", now=t0 + timedelta(seconds=145))
    assert (ended.duration_seconds, ended.end_reason, ended.ended_by) == (125, "hung_up", cam)
    accepted.refresh_from_db()
    assert accepted.video_seconds == 125
    assert services.video_session_end(consult=accepted, by=cam, reason="hung_up") is None  # nothing open: no-op

    actions = [a for a, _ in video_audit(accepted)]
    assert actions == [
        "le_consult.video.consent_recorded",
        "le_consult.video.started",
        "le_consult.video.joined",
        "le_consult.video.joined",
        "le_consult.video.ended",
    ]
    detail = video_audit(accepted)[-1][1]
    assert (detail["reason"], detail["duration_seconds"]) == ("hung_up", 125)


def test_sessions_add_up_and_an_unanswered_one_counts_nothing(accepted, oli, cam):
    t0 = timezone.now()
    services.video_session_join(consult=accepted, by=oli, now=t0)
    services.video_session_join(consult=accepted, by=cam, now=t0)
    services.video_session_end(consult=accepted, by=None, reason="dropped", now=t0 + timedelta(seconds=40))
    services.video_session_join(consult=accepted, by=oli, now=t0 + timedelta(seconds=50))
    services.video_session_end(consult=accepted, by=oli, reason="hung_up", now=t0 + timedelta(seconds=90))
    accepted.refresh_from_db()
    assert accepted.video_seconds == 40
    assert list(VideoSession.objects.values_list("duration_seconds", "end_reason")) == [
        (40, "dropped"),
        (0, "hung_up"),
    ]


def test_closing_the_consult_ends_its_call_and_counts_it(accepted, oli, cam):
    services.video_session_join(consult=accepted, by=oli, now=timezone.now() - timedelta(seconds=61))
    services.video_session_join(consult=accepted, by=cam, now=timezone.now() - timedelta(seconds=60))
    services.consult_close(consult=accepted, by=cam, outcome="resolved_on_scene")
    session = VideoSession.objects.get()
    assert session.end_reason == "consult_closed" and 59 <= session.duration_seconds <= 61
    assert Consult.objects.get().video_seconds == session.duration_seconds
    with pytest.raises(InvalidTransition):
        services.video_session_join(consult=accepted, by=oli)


@pytest.mark.parametrize("persona", ["sue", "kit", "dana", "other_officer", "other_clinician"])
def test_only_the_officer_and_the_handling_clinician_may_join(accepted, persona, request):
    if persona.startswith("other_"):
        user = make_user(persona, persona.removeprefix("other_"))
    else:
        user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.video_session_join(consult=accepted, by=user)
    assert not VideoSession.objects.exists()


def test_no_video_before_a_clinician_takes_the_consult(request_consult, oli):
    consult = request_consult(need="video")
    with pytest.raises(InvalidTransition):
        services.video_session_join(consult=consult, by=oli)


def test_the_row_says_a_call_is_open_and_the_time_on_video(accepted, oli, cam):
    row = consult_row(Consult.objects.get(pk=accepted.pk))
    assert row["actions"]["video"] and row["video"] == {
        "url": f"/programs/le_consult/consults/{accepted.pk}/video/",
        "live": False,
        "connected": False,
        "seconds": 0,
        "consent": "agreed",
        "consent_label": "The person agreed",
        "consent_reason": "",
    }
    services.video_session_join(consult=accepted, by=oli)
    video = consult_row(Consult.objects.get(pk=accepted.pk))["video"]
    assert (video["live"], video["connected"]) == (True, False)


# --- ICE servers from the environment ---------------------------------------------------------------------


def test_no_ice_servers_configured_means_host_candidates_only(oli, settings):
    settings.TELEHEALTH_STUN_URLS, settings.TELEHEALTH_TURN_URLS = [], []
    assert ice_servers(oli) == []


def test_turn_credentials_are_short_lived_and_checkable_with_the_shared_secret(oli, settings):
    settings.TELEHEALTH_STUN_URLS = ["stun:stun.example.org:3478"]
    settings.TELEHEALTH_TURN_URLS = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]
    settings.TELEHEALTH_TURN_SECRET = "s3cret"
    settings.TELEHEALTH_TURN_TTL_SECONDS = 600
    stun, turn = ice_servers(oli, now=1_800_000_000)
    assert stun == {"urls": ["stun:stun.example.org:3478"]}
    assert turn["username"] == f"1800000600:{oli.pk}"
    expected = base64.b64encode(hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected and len(turn["urls"]) == 2


@pytest.mark.parametrize(
    "env",
    [
        {"TELEHEALTH_STUN_URLS": "http://stun.example.org"},
        {"TELEHEALTH_TURN_URLS": "turn:turn.example.org"},  # no secret
        {"TELEHEALTH_TURN_URLS": "turn:t.org", "TELEHEALTH_TURN_SECRET": "x", "TELEHEALTH_TURN_TTL_SECONDS": "5"},
    ],
)
def test_a_malformed_ice_setting_stops_start_up(env):
    import subprocess
    import sys

    from tests.crisis.test_security_settings import ROOT, _base_env

    out = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=_base_env(DJANGO_SETTINGS_MODULE="crisis.settings", CRISIS_EMBEDDED="1", **env),
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "ImproperlyConfigured" in out.stderr and "TELEHEALTH_" in out.stderr


# --- the page ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, status", [("oli", 200), ("cam", 200), ("sue", 403), ("kit", 403), ("dana", 403), ("ada", 403)]
)
def test_the_video_page_is_for_the_two_people_of_the_call(client, accepted, persona, status, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(f"/programs/le_consult/consults/{accepted.pk}/video/")
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert f'data-socket-path="/ws/programs/le_consult/video/{accepted.pk}/"' in html
        assert 'id="ice-servers"' in html


def test_the_video_page_says_when_the_consult_is_not_in_progress(client, request_consult, oli):
    consult = request_consult()
    client.force_login(oli)
    html = client.get(f"/programs/le_consult/consults/{consult.pk}/video/").content.decode()
    assert "Video is only possible while a clinician handles the consult" in html and "video.js" not in html
    assert client.get("/programs/le_consult/consults/999999/video/").status_code == 404


# --- the person's consent before the call, the clinician's note after it -----------------------------------


def test_the_clinician_cannot_start_the_video_before_recording_consent(request_consult, oli, cam):
    consult = services.consult_accept(consult=request_consult(need="video"), by=cam)
    session, _ = services.video_session_join(consult=consult, by=oli)  # the officer may wait in the call
    with pytest.raises(InvalidTransition, match="consent"):
        services.video_session_join(consult=consult, by=cam)
    assert VideoSession.objects.get(pk=session.pk).connected_at is None
    services.video_consent_record(consult=consult, by=cam, agreed=True)
    _, other_in = services.video_session_join(consult=consult, by=cam)
    assert other_in


def test_consent_not_obtained_needs_a_reason_and_both_are_audited(request_consult, cam, oli):
    consult = services.consult_accept(consult=request_consult(need="video"), by=cam)
    with pytest.raises(InvalidInput, match="reason"):
        services.video_consent_record(consult=consult, by=cam, agreed=False, reason="  ")
    with pytest.raises(PermissionDenied):
        services.video_consent_record(consult=consult, by=oli, agreed=True)
    consult.refresh_from_db()
    assert consult.video_consent == ""
    consult = services.video_consent_record(consult=consult, by=cam, agreed=False, reason="Emergency: on the rail")
    assert (consult.video_consent, consult.video_consent_reason, consult.video_consent_by) == (
        "not_obtained",
        "Emergency: on the rail",
        cam,
    )
    assert consult_row(consult)["video"]["consent_label"] == "Not obtained"
    action, detail = video_audit(consult)[-1]
    assert action == "le_consult.video.consent_recorded"
    assert (detail["consent"], detail["reason"]) == ("not_obtained", "Emergency: on the rail")


def test_the_note_goes_on_the_last_ended_session_and_is_audited(accepted, oli, cam):
    with pytest.raises(InvalidTransition, match="No video session has ended"):
        services.video_session_note(consult=accepted, by=cam, text="Too early")
    services.video_session_join(consult=accepted, by=oli)
    services.video_session_join(consult=accepted, by=cam)
    session = services.video_session_end(consult=accepted, by=cam, reason="hung_up")
    with pytest.raises(PermissionDenied):
        services.video_session_note(consult=accepted, by=oli, text="Officer's note")
    with pytest.raises(InvalidInput):
        services.video_session_note(consult=accepted, by=cam, text="x" * 2001)
    services.video_session_note(consult=accepted, by=cam, text="Calmer; sister coming.")
    session.refresh_from_db()
    assert (session.note, session.note_by) == ("Calmer; sister coming.", cam)
    assert video_audit(accepted)[-1] == ("le_consult.video.noted", {"session": session.pk})


def test_the_clinician_page_asks_for_consent_first_then_takes_the_note(client, request_consult, cam, oli):
    consult = services.consult_accept(consult=request_consult(need="video"), by=cam)
    url = f"/programs/le_consult/consults/{consult.pk}/video/"
    client.force_login(cam)
    html = client.get(url).content.decode()
    assert 'id="consent-form"' in html and 'id="video-app"' not in html
    refused = client.post(url + "consent/", {"consent": "not_obtained", "reason": ""})
    assert refused.status_code == 400 and "Write the reason" in refused.content.decode()
    done = client.post(url + "consent/", {"consent": "not_obtained", "reason": "Emergency"})
    assert done.status_code == 302
    html = client.get(url).content.decode()
    assert 'id="video-app"' in html and "Not obtained" in html and "Emergency" in html
    early = client.post(url + "note/", {"text": "Nothing yet"})
    assert early.status_code == 409 and 'id="video-app"' not in early.content.decode()  # no call starts by itself
    client.force_login(oli)  # the officer's page has no consent step and no note
    html = client.get(url).content.decode()
    assert 'id="video-app"' in html and 'id="consent-form"' not in html and 'id="note-form"' not in html
    assert client.post(url + "consent/", {"consent": "agreed"}).status_code == 403
