"""The role matrix: each role gets exactly what it should, 403 otherwise (crisis/roles.py)."""

import pytest

from tests.conftest import CALL_DEFAULTS

PERSONAS = ["dana", "cam", "sue", "oli", "ada", "rita", "nora"]

# (method, url name, allowed personas). Anything else must get 403.
PAGES = [
    ("get", "/dispatch/", {"dana", "cam", "sue", "ada"}),
    ("get", "/dispatch/board/", {"dana", "cam", "sue", "ada"}),
    ("get", "/dispatch/calls/new/", {"dana", "cam", "sue", "ada"}),
    ("get", "/dispatch/calls/{call}/", {"dana", "cam", "sue", "ada"}),
    ("get", "/dispatch/history/?address=1200+W+Lake", {"dana", "cam", "sue", "ada"}),
    ("get", "/dispatch/officer/", {"oli"}),
    ("get", "/responder/", {"rita"}),
    ("get", "/people/{person}/", {"cam", "sue", "ada"}),
    # A consult's video call: its officer and the clinician handling it, nobody else (supervisors neither).
    ("get", "/programs/le_consult/consults/{consult}/video/", {"oli", "cam"}),
    # The 911 diversion console: diversion clinicians.
    ("get", "/programs/diversion/", {"cam"}),
    # The interns page: interns in their term, their supervisors, and the staffing roles (the terms table).
    ("get", "/interns/", {"sue", "ada"}),
    # FACT: a responder on a team (rita's is not a FACT team: an empty caseload) and supervisors.
    ("get", "/programs/fact/", {"sue", "ada", "rita"}),
    ("get", "/programs/fact/enrol/", {"sue", "ada", "rita"}),
    ("get", "/programs/crisis_stabilization/", {"sue", "ada", "rita"}),
]

API = [
    ("get", "/api/calls/", {"dana", "cam", "sue", "ada", "oli"}),
    ("get", "/api/calls/{call}/", {"dana", "cam", "sue", "ada"}),
    ("get", "/api/calls/{call}/history/", {"dana", "cam", "sue", "ada"}),
    ("get", "/api/teams/", {"dana", "cam", "sue", "ada"}),
    ("get", "/api/people/{person}/", {"cam", "sue", "ada"}),
    ("post", "/api/calls/{call}/triage/", {"dana", "cam", "sue", "ada"}),
    ("post", "/api/calls/intake/", {"dana", "cam", "sue", "ada"}),
    ("post", "/api/calls/{call}/assign/", {"dana", "sue", "ada"}),
    # Partners' systems (integrations/): administrators here; a partner's own account in tests/integrations.
    ("post", "/api/integrations/eido/incidents/", {"ada"}),
    ("get", "/api/integrations/eido/calls/{call}/", {"ada"}),
    ("get", "/api/integrations/deliveries/", {"ada"}),
    ("post", "/api/integrations/deliveries/1/replay/", {"ada"}),
    ("get", "/fhir/Task/{referral}", {"ada"}),
    ("get", "/api/integrations/hmis/export/?start=2026-11-01&end=2026-11-30", {"ada"}),
    ("get", "/fhir/ServiceRequest/{referral}", {"ada"}),
    # A 911 CAD transfers calls with a call-desk token; the console's snapshot is for diversion clinicians.
    ("post", "/programs/diversion/api/transfers/", {"dana", "cam", "sue", "ada"}),
    ("get", "/programs/diversion/api/snapshot/", {"cam"}),
    ("get", "/api/interns/notes/", {"sue", "ada"}),
    ("post", "/api/interns/notes/", set()),
    ("post", "/api/calls/{call}/handoffs/", {"dana", "sue", "ada"}),
    # Web Push of offers: a responder's own browsers only (dispatch/push_api.py).
    ("post", "/api/push/subscriptions/", {"rita"}),
    # The programs' brief for a call: the desk and the call's team (rita's team is not on this call).
    ("get", "/api/calls/{call}/brief/", {"dana", "cam", "sue", "ada"}),
    ("get", "/programs/fact/api/caseload/", {"sue", "ada", "rita"}),
    ("post", "/programs/fact/api/enrollments/", {"sue", "ada", "rita"}),
    ("get", "/programs/crisis_stabilization/api/episodes/", {"sue", "ada", "rita"}),
    ("post", "/programs/crisis_stabilization/api/episodes/", {"sue", "ada", "rita"}),
]


@pytest.fixture
def world(dana, cam, sue, oli, ada, rita, nora, person, new_call, on_call):
    from programs.community_responders.services import referral_create
    from programs.le_consult import services as consults

    call = new_call(person=person)
    referral = referral_create(call=call, by=dana, agency="Northside Clinic", service="Intake")
    consult = consults.consult_request(by=oli, need="video", address="Lake St bridge")
    consults.consult_accept(consult=consult, by=cam)
    return {"call": call.pk, "person": person.pk, "referral": referral.pk, "consult": consult.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("method, url, allowed", PAGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_pages(client, world, persona, method, url, allowed, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = getattr(client, method)(url.format(**world))
    if persona in allowed:
        assert response.status_code == 200, response.content[:300]
    else:
        assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("method, url, allowed", API)
@pytest.mark.parametrize("persona", PERSONAS)
def test_api(client, world, persona, method, url, allowed, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = getattr(client, method)(url.format(**world), {}, content_type="application/json")
    if persona in allowed:
        # Allowed: anything but 401/403 (an empty POST body is a 400 with field errors).
        assert response.status_code not in (401, 403), response.content[:300]
        assert response.status_code < 500
    else:
        assert response.status_code == 403, response.content[:300]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["dana", "cam", "sue", "ada", "oli"])
def test_who_may_create_calls(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.post("/api/calls/", CALL_DEFAULTS, content_type="application/json")
    assert response.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["rita", "nora"])
def test_who_may_not_create_calls(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.post("/api/calls/", CALL_DEFAULTS, content_type="application/json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_officer_request_is_always_a_law_enforcement_request_and_lists_only_own(client, oli, dana, new_call):
    new_call(nature="Someone else's call")
    client.force_login(oli)
    response = client.post("/api/calls/", CALL_DEFAULTS | {"source": "988"}, content_type="application/json")
    assert response.status_code == 201
    assert "narrative" not in response.json()
    listing = client.get("/api/calls/").json()["results"]
    assert [c["id"] for c in listing] == [response.json()["id"]]
    assert set(listing[0]) == {"id", "received_at", "status", "address", "nature", "team_name"}
    from dispatch.models import Call

    assert Call.objects.get(pk=response.json()["id"]).source == "law_enforcement"


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_for_pages_and_401_for_api(client):
    response = client.get("/dispatch/")
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert client.get("/api/calls/").status_code in (401, 403)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona, home",
    [
        ("dana", "/dispatch/board/"),
        ("cam", "/dispatch/board/"),
        ("sue", "/dispatch/board/"),
        ("ada", "/dispatch/board/"),
        ("rita", "/responder/"),
        ("oli", "/dispatch/officer/"),
    ],
)
def test_each_role_lands_on_its_home(client, persona, home, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/")
    assert response.status_code == 302 and response.url == home


@pytest.mark.django_db
def test_user_without_role_gets_403_home(client, nora):
    client.force_login(nora)
    assert client.get("/").status_code == 403


@pytest.mark.django_db
def test_login_page_and_sign_in(client, dana):
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "dana", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get("/dispatch/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/dispatch/").status_code == 302
