"""dispatch/telephony.py and POST /api/telephony/answered: the phone system's answer time, matched to the call."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.models import Call, CallEvent, TelephonyCall
from dispatch.telephony import ani_key, telephony_answered
from tests.conftest import CALL_DEFAULTS, make_user

URL = "/api/telephony/answered/"


@pytest.fixture
def phone_system(db):
    return make_user("pbx", "integration")


def test_ani_key_compares_the_last_ten_digits():
    assert ani_key("+1 (555) 010-0199") == ani_key("555.010.0199") == "5550100199"
    assert ani_key("") == ""


@pytest.mark.django_db
def test_a_report_before_intake_gives_the_call_its_ring_and_answer_times(phone_system, new_call):
    now = timezone.now()
    row, created = telephony_answered(
        ref="pbx-1", ani="+1 555 010 0199", rang_at=now - timedelta(seconds=22), answered_at=now - timedelta(seconds=4),
        by=phone_system,
    )  # fmt: skip
    assert created
    # The intake page's own "opened at" loses to the phone system's word.
    call = new_call(callback_number="555-010-0199", answered_at=now)
    call.refresh_from_db()
    assert (call.rang_at, call.answered_at) == (row.rang_at, row.answered_at)
    assert TelephonyCall.objects.get(ref="pbx-1").call_id == call.pk
    assert CallEvent.objects.get(call=call, kind="call.created").detail["phone_call"] == "pbx-1"
    # Claimed once: the next call from the same number is not given the same times.
    again = new_call(callback_number="555-010-0199")
    assert again.rang_at is None


@pytest.mark.django_db
def test_a_report_after_intake_is_matched_to_the_call_already_taken(phone_system, new_call):
    call = new_call(callback_number="(555) 010-0142", answered_at=timezone.now())
    now = timezone.now()
    row, _ = telephony_answered(
        ref="pbx-2", ani="5550100142", rang_at=now - timedelta(seconds=30), answered_at=now - timedelta(seconds=2),
        by=phone_system,
    )  # fmt: skip
    call.refresh_from_db()
    assert row.call_id == call.pk
    assert (call.rang_at, call.answered_at) == (row.rang_at, row.answered_at)
    assert CallEvent.objects.filter(call=call, kind="call.answer_reported").count() == 1


@pytest.mark.django_db
def test_a_report_for_another_number_leaves_the_call_alone(phone_system, new_call):
    call = new_call(callback_number="555-010-0142")
    telephony_answered(ref="pbx-3", ani="555-010-9999", rang_at=None, answered_at=None, by=phone_system)
    call.refresh_from_db()
    assert call.rang_at is None and not CallEvent.objects.filter(kind="call.answer_reported").exists()


@pytest.mark.django_db
def test_the_api_is_idempotent_on_the_phone_systems_call_id(client, phone_system):
    client.force_login(phone_system)
    body = {"call_id": "pbx-9", "ani": "555 010 0100", "rang_at": "2026-11-01T10:00:00Z",
            "answered_at": "2026-11-01T10:00:12Z"}  # fmt: skip
    first = client.post(URL, body, content_type="application/json")
    assert first.status_code == 201, first.content
    assert first.json()["answered_at"].startswith("2026-11-01T")
    retry = client.post(URL, body | {"answered_at": "2026-11-01T10:00:40Z"}, content_type="application/json")
    assert retry.status_code == 200
    assert retry.json() == first.json()  # the first report stands
    assert TelephonyCall.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, field",
    [
        ({"call_id": ""}, "call_id"),
        ({"ani": "ring ring"}, "ani"),
        ({"answered_at": "soon"}, "answered_at"),
        ({"rang_at": "2026-11-01T10:00:30Z", "answered_at": "2026-11-01T10:00:10Z"}, "rang_at"),
        ({"answered_at": "2999-01-01T00:00:00Z"}, "answered_at"),
        ({"rang_at": "1999-12-31T00:00:00Z"}, "rang_at"),
    ],
)
def test_bad_reports_are_400_naming_the_field_and_save_nothing(client, phone_system, change, field):
    client.force_login(phone_system)
    response = client.post(URL, {"call_id": "pbx-5", "ani": "5550100100"} | change, content_type="application/json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert not TelephonyCall.objects.exists()


@pytest.mark.django_db
def test_only_the_desk_and_phone_systems_may_report(client, oli, rita, dana):
    for user in (oli, rita):
        client.force_login(user)
        assert client.post(URL, {"call_id": "x"}, content_type="application/json").status_code == 403
    client.force_login(dana)
    assert client.post(URL, {"call_id": "x"}, content_type="application/json").status_code == 201


@pytest.mark.django_db
def test_the_intake_page_records_when_it_was_opened_as_the_answer(client, dana):
    client.force_login(dana)
    page = client.get("/dispatch/calls/new/")
    opened = page.context["form"].initial["answered_at"]
    body = {k: v for k, v in CALL_DEFAULTS.items() if v is not None} | {
        "answered_at": timezone.localtime(opened).strftime("%Y-%m-%d %H:%M:%S"),
        "area_type": "urban",
        "language": "en",
    }
    response = client.post("/dispatch/calls/new/", body)
    assert response.status_code == 302, response.content
    call = Call.objects.get()
    assert abs((call.answered_at - opened).total_seconds()) < 1
    assert call.rang_at is None  # no phone system: not measured


@pytest.mark.django_db
def test_a_stale_or_forged_answer_time_on_the_page_is_dropped_not_an_error(client, dana):
    client.force_login(dana)
    body = {k: v for k, v in CALL_DEFAULTS.items() if v is not None} | {
        "answered_at": "2001-01-01 00:00:00",
        "area_type": "urban",
        "language": "en",
    }
    assert client.post("/dispatch/calls/new/", body).status_code == 302
    assert Call.objects.get().answered_at is None
