"""Issue 9: an address is optional for an anonymous phone-only 988 call (dispatch.models.Call.clean).

Decision: the 988 line is a phone line; its caller may stay anonymous and not say where, and the call can be
resolved by phone. Every other source needs an address or a landmark; the page and the API say so by the field.
"""

import pytest
from django.core.exceptions import ValidationError

from dispatch import services
from dispatch.models import ADDRESS_REQUIRED, Call
from tests.conftest import CALL_DEFAULTS

pytestmark = pytest.mark.django_db

ANONYMOUS_988 = CALL_DEFAULTS | {
    "source": "988",
    "caller_name": "",
    "callback_number": "",
    "address": "",
    "latitude": None,
    "longitude": None,
}


def test_a_988_call_without_an_address_is_taken_and_resolved_by_phone(dana):
    call = services.call_create(by=dana, **ANONYMOUS_988)
    assert (call.address, call.address_key) == ("", "")
    services.call_triage(
        call=call, screen={"si_thoughts": False}, by=dana, tier_override="phone", override_reason="talked down"
    )
    services.call_resolve_by_phone(call=call, by=dana, note="Safety plan made on the phone")
    closed = Call.objects.get()
    assert (closed.status, closed.disposition) == ("closed", "resolved_by_phone")


@pytest.mark.parametrize("source", ["911", "law_enforcement", "partner", "self", "follow_up"])
def test_every_other_source_needs_an_address(dana, source):
    with pytest.raises(ValidationError) as caught:
        services.call_create(by=dana, **(ANONYMOUS_988 | {"source": source, "address": "   "}))
    assert caught.value.message_dict["address"] == [ADDRESS_REQUIRED]
    assert not Call.objects.exists()


def test_the_api_takes_a_988_call_without_an_address(client, dana):
    client.force_login(dana)
    r = client.post(
        "/api/calls/", {k: v for k, v in ANONYMOUS_988.items() if k != "address"}, content_type="application/json"
    )
    assert r.status_code == 201, r.json()
    assert r.json()["address"] == ""


def test_the_api_refuses_a_911_call_without_one_naming_the_field(client, dana):
    client.force_login(dana)
    r = client.post("/api/calls/", ANONYMOUS_988 | {"source": "911"}, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["address"] == [ADDRESS_REQUIRED]
    assert not Call.objects.exists()


def test_the_intake_page_takes_a_988_call_without_an_address(client, dana):
    client.force_login(dana)
    form = {k: ("" if v is None else v) for k, v in ANONYMOUS_988.items()} | {"area_type": "urban", "language": "en"}
    r = client.post("/dispatch/calls/new/", form)
    assert r.status_code == 302, r.context["form"].errors
    r = client.post("/dispatch/calls/new/", form | {"source": "911"})
    assert r.status_code == 200
    assert r.context["form"].errors["address"] == [ADDRESS_REQUIRED]
