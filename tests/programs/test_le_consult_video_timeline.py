"""A consult's video on the call it opened (programs/le_consult/services.py `_on_call_timeline`, the call desk's
`call_timeline_add` in dispatch/desk.py, the plug-in's `call_actions` on the call page)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.models import CallEvent
from programs import plugins
from programs.le_consult import services
from programs.le_consult.models import Consult

pytestmark = pytest.mark.django_db

VIDEO_KINDS = ("call.video_started", "call.video_joined", "call.video_ended")


@pytest.fixture
def with_call(request_consult, cam):
    consult = request_consult(need="video")
    consult = services.consult_accept(consult=consult, by=cam)
    consult = services.consult_request_team(consult=consult, by=cam)
    return services.video_consent_record(consult=consult, by=cam, agreed=True)


def video_events(call_id):
    events = CallEvent.objects.filter(call_id=call_id, kind__in=VIDEO_KINDS).order_by("id")
    return [(e.kind, e.actor.username if e.actor else None, e.detail) for e in events]


def test_start_who_joined_and_the_end_with_its_length_go_on_the_call_timeline(with_call, oli, cam):
    t0 = timezone.now()
    services.video_session_join(consult=with_call, by=oli, now=t0)
    services.video_session_join(consult=with_call, by=cam, now=t0 + timedelta(seconds=5))
    session = services.video_session_end(consult=with_call, by=cam, reason="hung_up", now=t0 + timedelta(seconds=130))

    events = video_events(with_call.call_id)
    assert [(kind, actor) for kind, actor, _ in events] == [
        ("call.video_started", "oli"),
        ("call.video_joined", "oli"),
        ("call.video_joined", "cam"),
        ("call.video_ended", "cam"),
    ]
    texts = [detail["text"] for _, _, detail in events]
    assert texts == [
        f"Video consult started by Oli (officer consult #{with_call.pk}).",
        "Oli joined the video as officer.",
        "Cam joined the video as clinician.",
        "Video consult ended: Cam left (hung up); connected 2 min 5 s.",
    ]
    assert [detail.get("side") for _, _, detail in events] == [None, "officer", "clinician", None]
    ended = events[-1][2]
    assert (ended["duration_seconds"], ended["reason"], ended["session"], ended["consult"]) == (
        125,
        "hung_up",
        session.pk,
        with_call.pk,
    )


def test_a_dropped_call_that_never_connected_says_so(with_call, oli):
    services.video_session_join(consult=with_call, by=oli)
    services.video_session_end(consult=with_call, by=oli, reason="dropped")
    *_, (kind, _, detail) = video_events(with_call.call_id)
    assert kind == "call.video_ended"
    assert detail["text"] == "Video consult ended: Oli's connection was lost; the two never connected."


def test_a_consult_without_a_call_writes_no_call_event(request_consult, cam, oli):
    consult = services.consult_accept(consult=request_consult(need="video"), by=cam)
    consult = services.video_consent_record(consult=consult, by=cam, agreed=True)
    before = CallEvent.objects.count()
    services.video_session_join(consult=consult, by=oli)
    services.video_session_end(consult=consult, by=oli, reason="hung_up")
    assert CallEvent.objects.count() == before


def test_the_desk_takes_only_call_words_for_program_events(with_call, cam):
    with pytest.raises(ValueError):
        plugins.call_desk().call_timeline_add(call_id=with_call.call_id, kind="video_started", by=cam, text="x")
    with pytest.raises(ValueError):
        plugins.call_desk().call_timeline_add(call_id=with_call.call_id, kind="call.a.b", by=cam, text="x")


def test_the_call_page_offers_the_video_to_the_consult_clinician_only(with_call, cam, oli, kit, sue, client):
    call = Consult.objects.get(pk=with_call.pk).call
    url = f"/programs/le_consult/consults/{with_call.pk}/video/"
    assert plugins.call_actions(call, cam) == [("Start video consult", url)]
    assert plugins.call_actions(call, kit) == []  # another clinician: the video is between two people
    assert plugins.call_actions(call, sue) == []  # a supervisor does not join a peer-to-peer call
    services.video_session_join(consult=with_call, by=oli)
    assert plugins.call_actions(call, cam) == [("Join the video consult (started)", url)]

    client.force_login(cam)
    page = client.get(f"/dispatch/calls/{call.pk}/")
    assert page.status_code == 200
    assert f'href="{url}"' in page.content.decode()
    assert "Oli joined the video as officer." in page.content.decode()

    services.consult_close(consult=with_call, by=cam, outcome="resolved_on_scene")
    assert plugins.call_actions(call, cam) == []  # the consult is over: nothing to start
