"""Dispatcher pages (dispatch/views.py): the intake → triage → queue journey, form errors, no 500s."""

import pytest
from django.utils import timezone

from crisis.models import Person
from dispatch import services
from dispatch.models import Call, Triage

INTAKE = {
    "source": "988",
    "caller_name": "Self",
    "callback_number": "773-555-0199",
    "person": "",
    "person_description": "Woman, 20s",
    "address": "233 S Wacker Dr",
    "latitude": "41.8789",
    "longitude": "-87.6359",
    "location_type": "business",
    "area_type": "urban",
    "call_type": "suicidal",
    "nature": "Suicidal thoughts",
    "narrative": "",
    "language": "en",
}


@pytest.mark.django_db
def test_dispatcher_takes_triages_and_sees_call_in_queue(client, dana):
    client.force_login(dana)
    response = client.post("/dispatch/calls/new/", INTAKE)
    call = Call.objects.get()
    assert response.status_code == 302 and response.url == f"/dispatch/calls/{call.pk}/"
    page = client.get(response.url)
    assert page.status_code == 200 and b"Risk screen" in page.content
    response = client.post(f"/dispatch/calls/{call.pk}/triage/", {"si_thoughts": "on", "si_method": "on"})
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.priority, call.tier, call.status) == (2, "community", "awaiting_team")
    queue = client.get("/dispatch/")
    assert f"#{call.pk}".encode() in queue.content and b"P2" in queue.content


@pytest.mark.django_db
def test_intake_with_the_screen_creates_triages_and_routes_in_one_submit(client, dana, team_a):
    client.force_login(dana)
    screen = {"si_wish_dead": "on", "si_thoughts": "on", "si_method": "on", "lethal_means": "true"}
    response = client.post("/dispatch/calls/new/", INTAKE | screen | {"caller_relation": "self"})
    call = Call.objects.get()
    assert response.status_code == 302 and response.url == f"/dispatch/board/?call={call.pk}"
    # The API's one-transaction service: the offer is out before the answer, with no routing job in between.
    assert (call.tier, call.status) == ("community", "awaiting_team")
    assert call.assignments.get().team == team_a
    triage = call.triages.get()
    assert (triage.si_method, triage.lethal_means, triage.imminent_danger, triage.caller_relation) == (
        True,
        True,
        None,  # not asked stays not asked
        "self",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, field",
    [
        ({"tier_override": "community"}, "override_reason"),
        ({"age": "-3"}, "age"),
        ({"caller_relation": "neighbour-ish"}, "caller_relation"),
    ],
)
def test_a_bad_screen_on_the_intake_page_is_a_form_error_and_saves_nothing(client, dana, team_a, change, field):
    client.force_login(dana)
    response = client.post("/dispatch/calls/new/", INTAKE | {"si_thoughts": "on"} | change)
    assert response.status_code == 200
    assert field in response.context["triage_form"].errors
    assert b'role="alert"' in response.content
    assert Call.objects.count() == 0 and Triage.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, field",
    [
        ({"address": "", "source": "911"}, "address"),
        ({"address": " ", "source": "self"}, "address"),
        ({"source": "x"}, "source"),
        ({"latitude": "95"}, "latitude"),
        ({"longitude": ""}, "longitude"),
        ({"person_description": ""}, "person_description"),
        ({"latitude": "abc"}, "latitude"),
    ],
)
def test_intake_form_errors_are_shown_and_nothing_saved(client, dana, change, field):
    client.force_login(dana)
    response = client.post("/dispatch/calls/new/", INTAKE | change)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert b'role="alert"' in response.content
    assert Call.objects.count() == 0


@pytest.mark.django_db
def test_override_without_reason_is_a_form_error(client, dana, new_call):
    call = new_call()
    client.force_login(dana)
    response = client.post(f"/dispatch/calls/{call.pk}/triage/", {"weapons": "on", "tier_override": "community"})
    assert response.status_code == 400
    assert "override_reason" in response.context["triage_form"].errors
    assert not Triage.objects.exists()


@pytest.mark.django_db
def test_refused_action_is_a_message_not_a_500(client, dana, new_call):
    call = new_call()
    client.force_login(dana)
    response = client.post(f"/dispatch/calls/{call.pk}/close/", {"disposition": "referred"}, follow=True)
    assert response.status_code == 200
    assert "cannot become closed" in response.content.decode()
    call.refresh_from_db()
    assert call.status == "received"


@pytest.mark.django_db
def test_queue_orders_untriaged_first_then_priority_then_waiting_time(client, dana, new_call):
    now = timezone.now()
    p3_old = new_call(nature="p3 old", received_at=now - timezone.timedelta(minutes=30))
    p1_new = new_call(nature="p1 new", received_at=now - timezone.timedelta(minutes=1))
    p3_new = new_call(nature="p3 new", received_at=now - timezone.timedelta(minutes=5))
    new_call(nature="untriaged", received_at=now - timezone.timedelta(minutes=2))
    services.call_triage(call=p3_old, screen={}, by=dana)
    services.call_triage(call=p3_new, screen={}, by=dana)
    services.call_triage(call=p1_new, screen={"si_behavior": True}, by=dana)
    client.force_login(dana)
    calls = client.get("/dispatch/").context["calls"]
    assert [c.nature for c in calls] == ["untriaged", "p1 new", "p3 old", "p3 new"]


@pytest.mark.django_db
def test_queue_page_query_count_does_not_grow_with_calls(client, dana, new_call, django_assert_max_num_queries):
    for i in range(3):
        new_call(nature=f"call {i}")
    client.force_login(dana)
    client.get("/dispatch/")
    for i in range(20):
        new_call(nature=f"more {i}")
    with django_assert_max_num_queries(8):
        assert client.get("/dispatch/").status_code == 200


@pytest.mark.django_db
def test_queue_page_shows_a_desk_the_calls_of_its_region_as_the_board_does(client, dana, sue, new_call):
    """One region rule (crisis.permissions.dispatch_region) for the queue page, the board's snapshot and the socket:
    queue.js compares the page with the snapshot, so the two must list the same calls."""
    here = new_call(nature="here")
    there = new_call(nature="there", region="north")
    client.force_login(dana)
    page = client.get("/dispatch/")
    assert [c.pk for c in page.context["calls"]] == [here.pk]
    assert f'data-call="{here.pk}" data-version="{here.version}"'.encode() in page.content
    assert [c["id"] for c in client.get("/api/board/").json()["calls"]] == [here.pk]
    client.force_login(sue)
    assert {c.pk for c in client.get("/dispatch/").context["calls"]} == {here.pk, there.pk}
    assert {c["id"] for c in client.get("/api/board/").json()["calls"]} == {here.pk, there.pk}


@pytest.mark.django_db
def test_unknown_call_page_is_404(client, dana):
    client.force_login(dana)
    assert client.get("/dispatch/calls/999999/").status_code == 404
    assert client.post("/dispatch/calls/999999/triage/", {}).status_code == 404


@pytest.mark.django_db
def test_officer_request_page(client, oli):
    client.force_login(oli)
    response = client.post(
        "/dispatch/officer/",
        {
            "callback_number": "312-555-0123",
            "person_description": "Man on bridge railing",
            "address": "Lake St bridge",
            "location_type": "street",
            "call_type": "suicidal",
            "nature": "Person at risk on bridge",
            "narrative": "",
        },
    )
    assert response.status_code == 302
    call = Call.objects.get()
    assert (call.source, call.created_by) == ("law_enforcement", oli)
    assert b"Lake St bridge" in client.get("/dispatch/officer/").content


OFFICER_REQUEST = {
    "callback_number": "312-555-0123",
    "person_description": "Man on bridge railing",
    "address": "near 1200 W Lake St (~40 m)",
    "location_type": "street",
    "call_type": "suicidal",
    "nature": "Person at risk on bridge",
}


@pytest.mark.django_db
def test_an_officer_request_carries_the_officers_position(client, oli):
    client.force_login(oli)
    page = client.get("/dispatch/officer/")
    assert b"data-here" in page.content and b'name="latitude"' in page.content
    response = client.post("/dispatch/officer/", OFFICER_REQUEST | {"latitude": "41.8861", "longitude": "-87.658"})
    assert response.status_code == 302
    assert Call.objects.values_list("latitude", "longitude").get() == (41.8861, -87.658)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("position", "field"),
    [
        ({"latitude": "41.88"}, "longitude"),
        ({"latitude": "95", "longitude": "1"}, "latitude"),
        ({"address": ""}, "address"),
    ],  # fmt: skip
)
def test_an_officer_request_with_a_broken_position_or_no_address_is_a_form_error(client, oli, position, field):
    client.force_login(oli)
    response = client.post("/dispatch/officer/", OFFICER_REQUEST | position)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Call.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["²", "99999999999999999999", "-1", "abc"])
def test_premise_history_ignores_a_person_id_that_is_not_one(client, dana, person):
    client.force_login(dana)
    response = client.get("/dispatch/history/", {"address": "1200 W Lake St", "person": person})
    assert response.status_code == 200


@pytest.mark.django_db
def test_intake_offers_languages_by_name_and_stores_the_code(client, dana):
    client.force_login(dana)
    page = client.get("/dispatch/calls/new/")
    assert b'<option value="vi">Vietnamese</option>' in page.content
    client.post("/dispatch/calls/new/", INTAKE | {"language": "vi"})
    assert Call.objects.get().language == "vi"


@pytest.mark.django_db
def test_intake_refuses_a_language_not_on_the_list(client, dana):
    client.force_login(dana)
    response = client.post("/dispatch/calls/new/", INTAKE | {"language": "qq"})
    assert response.status_code == 200 and "language" in response.context["form"].errors
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_the_page_screen_keeps_not_asked_and_shows_reasons_from_history(client, dana):
    marcus = Person.objects.create(first_name="Marcus", last_name="Hill", known_weapons_access=True)
    call = services.call_create(
        by=dana, person=marcus, **{k: v for k, v in INTAKE.items() if k not in ("person", "language")}
    )
    client.force_login(dana)
    page = client.get(f"/dispatch/calls/{call.pk}/")
    assert b"Danger now" in page.content and b'name="imminent_danger"' in page.content
    form = {"si_thoughts": "on", "phone_engaged": "on", "psychosis": "false", "imminent_danger": "unknown", "age": "29",
            "caller_relation": "self"}  # fmt: skip
    response = client.post(f"/dispatch/calls/{call.pk}/triage/", form)
    assert response.status_code == 302
    result = Triage.objects.get()
    assert (result.psychosis, result.imminent_danger, result.age) == (False, None, 29)
    assert (result.priority, result.tier) == (1, "community")
    page = client.get(f"/dispatch/calls/{call.pk}/")
    assert b'class="from-history"><code>history_weapons</code> From history: known access to weapons' in page.content


@pytest.mark.django_db
def test_an_impossible_age_is_a_form_error_on_the_page(client, dana):
    call = services.call_create(by=dana, **{k: v for k, v in INTAKE.items() if k not in ("person", "language")})
    client.force_login(dana)
    response = client.post(f"/dispatch/calls/{call.pk}/triage/", {"age": "150"})
    assert response.status_code == 400 and "age" in response.context["triage_form"].errors
    assert not Triage.objects.exists()


@pytest.mark.django_db
def test_needs_show_as_chips_ticked_from_the_screen_and_are_saved(client, dana):
    call = services.call_create(by=dana, **{k: v for k, v in INTAKE.items() if k not in ("person", "language")})
    client.force_login(dana)
    page = client.get(f"/dispatch/calls/{call.pk}/")
    assert b'class="chip inferred"><input type="checkbox" name="needs" value="licensed_clinician"' in page.content
    response = client.post(f"/dispatch/calls/{call.pk}/needs/", {"needs": ["licensed_clinician", "youth"]})
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.needs_added == ["youth"]
    response = client.post(f"/dispatch/calls/{call.pk}/needs/", {"needs": ["wings"]})
    assert response.status_code == 400 and "needs" in response.context["needs_form"].errors
