"""Video from the field, in Chromium with fake camera and microphone, against the live stack.

The officer on a tablet (800x1280) and the clinician at a desk (1440x900) open the video call from their
consult cards; the two browser contexts connect peer to peer (host candidates: no STUN/TURN configured) and
each receives the other's picture. The clinician hangs up: the officer sees who did and how long it lasted,
and the duration is on the consult. A tablet whose camera is blocked is told so, and what to do.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crisis.models import AuditEntry
from programs.le_consult import services
from programs.le_consult.models import Consult, VideoSession
from tests.browser.test_live_journeys import WAIT, screenshot, sign_in
from tests.conftest import CENTER
from tests.support.live_stack import off_loop
from tests.support.strands import assert_no_call_strands

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

TABLET = {"width": 800, "height": 1280}
DESK = {"width": 1440, "height": 900}
PAGE = "/programs/le_consult/"
RECEIVING = "() => { const v = document.getElementById('remote'); return v.videoWidth > 0 && v.currentTime > 0; }"


def accepted_consult(oli, cam) -> Consult:
    consult = services.consult_request(
        by=oli,
        need="video",
        description="Woman in a parked car, won't talk to us",
        latitude=CENTER[0],
        longitude=CENTER[1],
    )
    return services.consult_accept(consult=consult, by=cam)


def test_officer_and_clinician_see_each_other_and_the_call_is_recorded(
    live_stack, chromium_fake_media, on_call, oli, cam
):
    consult = off_loop(accepted_consult, oli, cam)
    base = live_stack.url
    tablet = chromium_fake_media.new_context(viewport=TABLET, has_touch=True)
    desk = chromium_fake_media.new_context(viewport=DESK)
    try:
        officer = tablet.new_page()
        sign_in(officer, base, "oli")
        officer.goto(base + PAGE)
        card = officer.locator(f'article[data-consult="{consult.pk}"]')
        card.get_by_role("link", name="Video call").tap()
        expect(officer.locator("#video-state")).to_have_attribute("data-state", "waiting", timeout=WAIT)
        expect(officer.locator("#video-state")).to_contain_text("Waiting for Cam to join")

        clinician = desk.new_page()
        sign_in(clinician, base, "cam")
        clinician.goto(base + PAGE)
        desk_card = clinician.locator(f'article[data-consult="{consult.pk}"]')
        # The officer waiting in the call shows on the clinician's card, live.
        expect(desk_card.locator('[data-role="video"]')).to_contain_text("Video call open", timeout=WAIT)
        desk_card.get_by_role("link", name="Video call").click()
        # The person's consent comes first: the clinician's side of the call starts only once it is recorded.
        expect(clinician.locator("#consent-form")).to_be_visible(timeout=WAIT)
        expect(clinician.locator("#video-app")).to_have_count(0)
        screenshot(clinician, "video-clinician-consent.png")
        clinician.get_by_role("button", name="The person agreed — start the video").click()
        expect(clinician.locator("#consent-line")).to_contain_text("The person agreed", timeout=WAIT)

        for page in (officer, clinician):
            expect(page.locator("#video-state")).to_have_attribute("data-state", "connected", timeout=WAIT)
            page.wait_for_function(RECEIVING, timeout=WAIT)
            page.wait_for_function("() => Number(document.getElementById('quality').dataset.frames) > 10", timeout=WAIT)
            assert page.evaluate("document.getElementById('video-app').dataset.pc") == "connected"
        expect(officer.locator("#video-state")).to_contain_text("Connected with Cam")
        expect(officer.locator("#quality")).to_contain_text("Receiving")
        screenshot(officer, "video-officer-tablet.png")
        screenshot(clinician, "video-clinician-desk.png")
        officer.wait_for_timeout(1500)  # a call of a measurable length

        clinician.get_by_role("button", name="Hang up").click()
        expect(officer.locator("#video-state")).to_have_attribute("data-state", "ended", timeout=WAIT)
        expect(officer.locator("#video-state")).to_contain_text("Cam hung up. The call lasted")
        expect(officer.get_by_role("button", name="Call again")).to_be_visible()
        screenshot(officer, "video-officer-ended.png")

        # The clinician's short note after the session, on the consult's record.
        clinician.fill("#session-note", "Agreed to go with her sister; no hold needed.")
        clinician.get_by_role("button", name="Save the note").click()
        expect(clinician.locator("#session-notes")).to_contain_text("Note saved.", timeout=WAIT)
        expect(clinician.locator("#session-notes")).to_contain_text("Agreed to go with her sister")
        # Saving the note does not start a new call by itself.
        expect(clinician.locator("#video-state")).to_contain_text("The call is over and your note is saved")
        expect(clinician.locator("#video-app")).to_have_count(0)
        screenshot(clinician, "video-clinician-note.png")

        session = VideoSession.objects.get(consult=consult)
        assert session.end_reason == "hung_up" and session.ended_by == cam and session.duration_seconds >= 1
        assert Consult.objects.get(pk=consult.pk).video_seconds == session.duration_seconds
        actions = list(
            AuditEntry.objects.filter(object_id=str(consult.pk), action__startswith="le_consult.video.")
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions == [  # the officer waits in the call while the clinician records the consent
            "le_consult.video.started",
            "le_consult.video.joined",
            "le_consult.video.consent_recorded",
            "le_consult.video.joined",
            "le_consult.video.ended",
            "le_consult.video.noted",
        ]
        assert VideoSession.objects.get(consult=consult).note == "Agreed to go with her sister; no hold needed."
        # The consult card shows the time on video.
        officer.goto(base + PAGE)
        expect(officer.locator(f'article[data-consult="{consult.pk}"] [data-role="video"]')).to_contain_text(
            "On video", timeout=WAIT
        )
    finally:
        tablet.close()
        desk.close()
    assert_no_call_strands()


def test_a_video_started_from_the_call_record_is_on_the_call_timeline(
    live_stack, chromium_fake_media, on_call, oli, cam
):
    def with_call():
        consult = services.consult_request_team(consult=accepted_consult(oli, cam), by=cam)
        return services.video_consent_record(consult=consult, by=cam, agreed=True)

    consult = off_loop(with_call)
    base = live_stack.url
    call_page = f"{base}/dispatch/calls/{consult.call_id}/"
    tablet = chromium_fake_media.new_context(viewport=TABLET, has_touch=True)
    desk = chromium_fake_media.new_context(viewport=DESK)
    try:
        clinician = desk.new_page()
        sign_in(clinician, base, "cam")
        clinician.goto(call_page)
        clinician.get_by_role("link", name="Start video consult").click()
        expect(clinician.locator("#video-state")).to_have_attribute("data-state", "waiting", timeout=WAIT)

        officer = tablet.new_page()
        sign_in(officer, base, "oli")
        officer.goto(base + PAGE)
        officer.locator(f'article[data-consult="{consult.pk}"]').get_by_role("link", name="Video call").tap()
        for page in (officer, clinician):
            expect(page.locator("#video-state")).to_have_attribute("data-state", "connected", timeout=WAIT)
            page.wait_for_function(RECEIVING, timeout=WAIT)
        officer.wait_for_timeout(1200)
        officer.get_by_role("button", name="Hang up").tap()
        expect(clinician.locator("#video-state")).to_have_attribute("data-state", "ended", timeout=WAIT)

        clinician.goto(call_page)
        timeline = clinician.locator("ol.timeline")
        expect(timeline).to_contain_text(f"Video consult started by Cam (officer consult #{consult.pk}).")
        expect(timeline).to_contain_text("Cam joined the video as clinician.")
        expect(timeline).to_contain_text("Oli joined the video as officer.")
        expect(timeline).to_contain_text("Video consult ended: Oli left (hung up); connected")
        timeline.scroll_into_view_if_needed()
        screenshot(clinician, "video-call-timeline.png")
    finally:
        tablet.close()
        desk.close()
    assert_no_call_strands()


def test_a_blocked_camera_is_said_plainly_with_what_to_do(live_stack, chromium_fake_media, on_call, oli, cam):
    consult = off_loop(accepted_consult, oli, cam)
    tablet = chromium_fake_media.new_context(viewport=TABLET, has_touch=True)
    # The tablet refuses the camera, as a browser does after "Block".
    tablet.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));"
    )
    try:
        officer = tablet.new_page()
        sign_in(officer, live_stack.url, "oli")
        officer.goto(f"{live_stack.url}/programs/le_consult/consults/{consult.pk}/video/")
        problem = officer.locator("#camera-problem")
        expect(problem).to_contain_text("Camera blocked", timeout=WAIT)
        expect(officer.get_by_role("button", name="Try the camera again")).to_be_visible()
        screenshot(officer, "video-camera-blocked.png")
        # Joining without the camera still puts the officer in the call.
        officer.get_by_role("button", name="Join without my camera").tap()
        expect(officer.locator("#video-state")).to_have_attribute("data-state", "waiting", timeout=WAIT)
    finally:
        tablet.close()
    assert VideoSession.objects.get(consult=consult).officer_joined_at is not None
