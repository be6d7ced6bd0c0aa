"""Audit completeness: every GET route that reads a person's data or a call's clinical fields writes an audit row.

The routes come from the URLconf exactly as the access matrix finds them (tests/crisis/test_access_matrix.py:
`routes`, `EXPECTED`, `url_for` over its `PATH_OBJECTS` and the fuzz world). `READS` below is the one table that
says which GET routes read PHI (person data, or a call's narrative, screen, caller, history or care records). A
GET route missing from it fails `test_every_get_route_is_classified` with the line to add.

For each PHI route the first persona the matrix allows performs the GET on the world's real objects (with a
purpose where the route asks one); it must answer 200 and write at least one audit row naming that user and the
request's address (and the purpose, where given). A route whose read is not audited yet is `KNOWN_GAP`, listed
in docs/security.md "Left": its test is an expected failure that turns into an error the day it is fixed
(strict xfail), so the table cannot stay stale.

Three more doors, each enumerated so that a new one without a line here fails with the line to add:

- Websockets (`SOCKETS`, every consumer of crisis/asgi.py's router). Their events are the rows of the screen's
  snapshot pushed as they change, and they do carry person data (a call's address and nature, a caller's name, a
  consult's person and messages, a hand-off titled with its client). One row per event per open screen would
  flood the trail, so opening such a stream is one audit row (`LiveConsumer.read_action`: who, the groups, the
  address, via=socket), written before anything is sent, and the snapshot live.js loads is an audited GET
  above. A socket carrying none (the video signalling) says why.
- The Django admin (`ADMIN`, every registered model). A model holding a person's data has a
  `crisis.admin.AuditedReadAdmin`: its change list (ids shown, search typed) and its change page each write a
  row, checked as the first persona the admin lets view it (else a superuser).
- Writes that answer with data (`WRITES`, every POST/PUT/PATCH route). A write answering with the row it just
  changed is recorded by the write itself (the call's timeline row or the service's audit row names the actor,
  the object and the address); a second "viewed" row would be the same fact twice. Each is performed with a valid
  request where `BODIES` has one and must answer 2xx with such a record; the rest are `NOT_PERFORMED` (strict
  xfail, docs/security.md "Beyond issue 13"). Whatever the kind, an answer naming the world's person must have written a
  record: that rule found the intake form listing every person and the history pages naming the person
  unaudited.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.models import AuditEntry, User
from responders.models import SosAlert
from tests.conftest import CALL_DEFAULTS
from tests.crisis.test_access_matrix import EXPECTED, PERSONAS, personas, routes, url_for, world  # noqa: F401
from tests.support.consults import consult_program, kit, on_call, request_consult  # noqa: F401 (fixtures)

PHI = "phi"
NOT_PHI = "not phi"
KNOWN_GAP = "known gap"  # reads PHI, not audited yet: listed in docs/security.md "Left"
# Reads PHI only for records the shared world has none of; the test named beside the entry counts its rows.
PROVEN_ELSEWHERE = "proven elsewhere"

PURPOSE = "Audit completeness: consult on a bridge"

# GET route -> (PHI / NOT_PHI / KNOWN_GAP, query string). Why a route is not PHI is said beside it.
READS: dict[str, tuple[str, str]] = {
    # crisis/urls.py
    "": (NOT_PHI, ""),  # a redirect to the role's page
    "login/": (NOT_PHI, ""),
    "mfa/": (NOT_PHI, ""),
    "password/": (NOT_PHI, ""),
    "healthz/": (NOT_PHI, ""),
    "people/": (PHI, "name=Marcus"),
    "people/duplicates/": (PHI, ""),
    "people/<int:pk>/": (PHI, ""),
    "history/": (PHI, f"name=Marcus&purpose={PURPOSE}"),
    "history/people/<int:pk>/": (PHI, f"purpose={PURPOSE}"),
    "privacy/": (PHI, "name=Marcus"),
    "privacy/people/<int:pk>/": (PHI, ""),
    # dispatch/
    "dispatch/": (PHI, ""),
    "dispatch/board/": (NOT_PHI, ""),  # a shell: its calls come from the audited /api/board/
    "dispatch/calls/new/": (PHI, ""),  # the form's person field lists every known person by name
    "dispatch/calls/<int:pk>/": (PHI, ""),
    "dispatch/history/": (PHI, ""),
    "dispatch/search/": (PHI, "name=Marcus"),
    "dispatch/closed/": (PHI, ""),
    "api/calls/search/": (PHI, "name=Marcus"),
    "dispatch/officer/": (NOT_PHI, ""),  # the officer's own requests: number, time, address, status, team
    "responder/": (NOT_PHI, ""),  # a shell: its call comes from the audited /api/my-team/
    "api/schema/": (NOT_PHI, ""),
    "api/docs/": (NOT_PHI, ""),
    "api/calls/": (PHI, ""),
    "api/calls/<int:pk>/": (PHI, ""),
    "api/calls/<int:pk>/history/": (PHI, ""),
    "api/calls/<int:pk>/brief/": (PHI, ""),
    "api/teams/": (NOT_PHI, ""),  # team names, statuses, positions
    "api/people/": (PHI, "name=Marcus"),
    "api/people/duplicates/": (PHI, ""),
    "api/people/<int:pk>/": (PHI, ""),
    "api/geocode/": (NOT_PHI, "q=Main"),  # places
    "api/geocode/reverse/": (NOT_PHI, "lat=1&lng=1"),
    "api/board/": (PHI, ""),
    "api/my-team/": (PHI, ""),
    # reports/: aggregates, but the CSVs list calls
    "reports/": (NOT_PHI, ""),
    "reports/<slug:name>/": (NOT_PHI, ""),
    "reports/<slug:name>/<slug:table>.csv": (PHI, ""),
    "api/reports/<slug:name>/": (NOT_PHI, ""),
    # programs/
    "programs/mobile_crisis/follow-ups/": (PHI, ""),
    "programs/mobile_crisis/api/follow-ups/": (PHI, ""),
    "programs/community_responders/referrals/": (PHI, ""),
    "programs/community_responders/api/partners/": (NOT_PHI, ""),  # partner organisations
    "programs/community_responders/api/referrals/": (PHI, ""),
    "programs/homeless_outreach/": (PHI, ""),
    "programs/homeless_outreach/people/<int:pk>/contact/": (PHI, ""),
    "programs/homeless_outreach/api/by-name-list/": (PHI, ""),
    "programs/homeless_outreach/people/<int:pk>/consents/": (PHI, ""),
    "programs/le_consult/": (NOT_PHI, ""),  # a shell: its consults come from the audited snapshot
    "programs/le_consult/api/snapshot/": (PHI, ""),
    "programs/le_consult/consults/<int:pk>/video/": (NOT_PHI, ""),  # consult number, status, consent state
    "interns/": (PHI, ""),
    "interns/turnover/": (NOT_PHI, ""),  # staff terms and counts
    "interns/turnover.csv": (NOT_PHI, ""),
    "api/interns/notes/": (PHI, ""),
    "programs/diversion/": (NOT_PHI, ""),  # a shell: its transfers come from the audited snapshot
    "programs/diversion/<int:pk>/": (PHI, ""),
    "programs/diversion/api/snapshot/": (PHI, ""),
    "programs/fact/": (PHI, ""),
    "programs/fact/enrol/": (PHI, "person={person}"),  # the form's heading names the person
    "programs/fact/clients/<int:pk>/": (PHI, ""),
    "programs/fact/api/caseload/": (PHI, ""),
    "programs/fact/api/enrollments/<int:pk>/": (PHI, ""),
    "programs/crisis_stabilization/": (PHI, ""),
    "programs/crisis_stabilization/episodes/<int:pk>/": (PHI, ""),
    "programs/crisis_stabilization/api/episodes/": (PHI, ""),
    "programs/crisis_stabilization/api/episodes/<int:pk>/": (PHI, ""),
    "programs/care/": (PHI, ""),
    "programs/care/api/caseload/": (PHI, ""),
    # integrations/
    "api/integrations/eido/calls/<int:pk>/": (PHI, ""),
    "api/integrations/deliveries/": (NOT_PHI, ""),  # partner, event, status: no payload, no person
    # De-identified but for clients with an HMIS consent in the period, each a disclosure.hmis row:
    # integrations/test_hmis.py::test_a_person_without_hmis_consent_is_de_identified_and_not_disclosed
    "api/integrations/hmis/export/": (PROVEN_ELSEWHERE, "start=2021-01-01&end=2030-12-31"),
    "fhir/ServiceRequest/<int:pk>": (PHI, ""),
    "fhir/Task/<int:pk>": (PHI, ""),
}


# Who performs the read where the first persona the matrix allows would see nothing: the desk gets an empty brief.
# dana, the first the matrix allows, is no care supervisor: her brief is empty; sue sees every FACT client's.
AS = {"api/calls/<int:pk>/brief/": "sue"}


def _working_call_about_the_fact_client(w):
    """The brief has something to show only when the call is about a FACT client: make team B's call about one."""
    from dispatch.models import Call

    Call.objects.filter(pk=w.calls["working"].pk).update(person=w.person)


# What a route needs of the world beyond the access matrix's objects for its read to show PHI at all.
SETUP = {
    "api/calls/<int:pk>/brief/": _working_call_about_the_fact_client,
}


def get_routes() -> list[str]:
    """Every route the access matrix lets some persona GET."""
    found = routes()
    return [route for route, cells in EXPECTED.items() if route in found and cells.get("GET")]


def test_every_get_route_is_classified():
    missing = [route for route in get_routes() if route not in READS]
    stale = sorted(set(READS) - set(get_routes()))
    lines = "\n".join(f'    "{route}": (PHI, ""),  # or NOT_PHI, with why' for route in missing)
    assert not missing, f"add to READS in {__file__} (does the route read person or clinical data?):\n{lines}"
    assert not stale, f"READS names routes no persona can GET any more; remove them: {stale}"


def _cases():
    cases = []
    for route in get_routes():
        kind = READS.get(route, (None, ""))[0]
        marks = [pytest.mark.xfail(strict=True, reason="unaudited PHI read: docs/security.md Left")] * (
            kind == KNOWN_GAP
        )
        cases.append(pytest.param(route, kind, id=route or "home", marks=marks))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize("route, kind", _cases())
def test_each_phi_read_writes_an_audit_row(client, world, personas, route, kind):  # noqa: F811
    if kind is None:
        pytest.skip("not classified: test_every_get_route_is_classified says the line to add")
    persona = AS.get(route) or next(p for p in PERSONAS if p in EXPECTED[route]["GET"])
    user = personas[persona]
    query = READS[route][1].format(person=world.person.pk)
    url = url_for(route, world) + (f"?{query}" if query else "")
    if route in SETUP:
        SETUP[route](world)
    client.force_login(user)
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(url, REMOTE_ADDR="198.51.100.7")
    assert response.status_code < 500, (url, persona, response.status_code)
    if kind in (NOT_PHI, PROVEN_ELSEWHERE):
        return
    assert response.status_code == 200, (url, persona, response.status_code, response.content[:300])
    rows = list(AuditEntry.objects.filter(id__gt=before, actor=user).exclude(action__startswith="crisis.login"))
    assert rows, f"GET {url} as {persona} read PHI and wrote no audit row"
    assert all(r.ip_address == "198.51.100.7" for r in rows), [(r.action, r.ip_address) for r in rows]
    if "purpose=" in query:
        assert any(r.detail.get("purpose") == PURPOSE for r in rows), [(r.action, r.detail) for r in rows]


# --- websockets -------------------------------------------------------------------------------------------------
# Every websocket route of the ASGI router (crisis/asgi.py: the board's, the caseload's and each plug-in's), by
# its consumer. STREAM_AUDITED: its events carry a person's data (they are the rows of the screen's snapshot,
# pushed as they change, and new rows the snapshot never showed), so opening it writes one audit row
# (`LiveConsumer.read_action`: who, which groups, from where, via=socket); auditing each delivery would be a row
# per event per open screen. Its snapshot route (what live.js loads on connect and on a gap) must be a PHI read
# above, audited per read. NO_PERSON_DATA: it carries none, said why.
STREAM_AUDITED = "stream audited"
NO_PERSON_DATA = "no person data"

# consumer class -> (kind, the snapshot route live.js loads, or the reason it carries no person data)
SOCKETS: dict[str, tuple[str, str]] = {
    "BoardConsumer": (STREAM_AUDITED, "api/board/"),  # the board and the phone: calls' rows, SOS alerts
    "CareConsumer": (STREAM_AUDITED, "programs/care/api/caseload/"),  # escalations name the client
    "ConsultConsumer": (STREAM_AUDITED, "programs/le_consult/api/snapshot/"),  # the consult's person, messages
    "DiversionConsumer": (STREAM_AUDITED, "programs/diversion/api/snapshot/"),  # callers' names and numbers
    # The two browsers' session descriptions and ICE candidates, and the two staff names; joining is audited by
    # le_consult.services (le_consult.video.joined), and the consult's data comes from the audited snapshot.
    "VideoConsumer": (NO_PERSON_DATA, "WebRTC signalling only"),
}


def socket_routes() -> dict[str, type]:
    """Every websocket route the ASGI application serves, by its consumer class."""
    from crisis.asgi import websocket_routes

    return {str(route.pattern): route.callback.consumer_class for route in websocket_routes}


def test_every_socket_is_classified():
    found = socket_routes()
    missing = sorted({cls.__name__ for cls in found.values()} - set(SOCKETS))
    stale = sorted(set(SOCKETS) - {cls.__name__ for cls in found.values()})
    lines = "\n".join(
        f'    "{name}": (STREAM_AUDITED, "<its snapshot route>"),  # or NO_PERSON_DATA' for name in missing
    )
    assert not missing, f"add to SOCKETS in {__file__} (do its events carry a person's data?):\n{lines}"
    assert not stale, f"SOCKETS names consumers the ASGI router no longer serves; remove them: {stale}"
    for route, cls in found.items():
        kind, detail = SOCKETS[cls.__name__]
        if kind == STREAM_AUDITED:
            # A stream of person data is a LiveConsumer that audits its opening, and its snapshot an audited read.
            assert getattr(cls, "read_action", ""), f"{route}: {cls.__name__} carries person data: set read_action"
            assert READS.get(detail, (None,))[0] == PHI, f"{route}: its snapshot {detail!r} is no audited PHI read"


def _socket_cases():
    return [
        pytest.param(route, id=route)
        for route, cls in socket_routes().items()
        if SOCKETS.get(cls.__name__, (None,))[0] == STREAM_AUDITED
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", _socket_cases())
async def test_opening_a_person_data_stream_writes_an_audit_row(route, settings, request):
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.db import connections
    from django.test import Client

    from crisis.asgi import application

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    snapshot = SOCKETS[socket_routes()[route].__name__][1]
    persona = next(p for p in PERSONAS if p in EXPECTED[snapshot]["GET"])
    # The persona alone (the shared world's routing would run on commit here): what matters is who opens it.
    user = await sync_to_async(request.getfixturevalue)(persona)

    def session_key():
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    def new_rows(before):
        return list(AuditEntry.objects.filter(id__gt=before, actor=user).exclude(action__startswith="crisis.login"))

    def last_id():
        return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    key = await sync_to_async(session_key)()
    before = await sync_to_async(last_id)()
    headers = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={key}".encode())]
    comm = WebsocketCommunicator(application, f"/{route}", headers=headers)
    comm.scope["client"] = ("198.51.100.7", 50000)
    connected, code = await comm.connect(timeout=5)
    assert connected, (route, persona, code)
    hello = await comm.receive_json_from(timeout=5)
    await comm.disconnect()
    rows = await sync_to_async(new_rows)(before)
    opened = [r for r in rows if r.action == socket_routes()[route].read_action]
    # The thread these reads ran in keeps its connection otherwise, and the test database cannot be dropped.
    await sync_to_async(connections.close_all)()
    assert len(opened) == 1, f"/{route} as {persona} streamed person data and wrote no audit row: {rows}"
    assert opened[0].ip_address == "198.51.100.7", opened[0].ip_address
    assert opened[0].detail == {"via": "socket", "groups": hello["groups"]}, opened[0].detail


# --- the Django admin ----------------------------------------------------------------------------------------------
# Every model registered with the admin site. PERSON_DATA: its change list and change page each write an audit
# row (crisis.admin.AuditedReadAdmin: the list names the ids shown and the search typed). STAFF_OR_SETTINGS: it
# holds no data of a person served, said why.
PERSON_DATA = "person data"
STAFF_OR_SETTINGS = "no person data"


def _outreach_contact(w):
    from programs.homeless_outreach.models import OutreachContact

    return OutreachContact.objects.create(person=w.person, team=w.team_a, place="Lower Wacker")


def _consent(w):
    from crisis.history.models import Consent

    return Consent.objects.create(person=w.person, scope="clinical", granted_on=timezone.localdate())


def _response_plan(w):
    from crisis.history.models import ResponsePlan

    return ResponsePlan.objects.create(person=w.person, triggers="Crowds", what_helps="A quiet room")


def _delivery(w):
    from integrations import services
    from integrations.models import Delivery, WebhookEndpoint

    partner, _ = services.partner_create(name="County CAD", purpose="CAD", directory_partner=None, by=None)
    endpoint = WebhookEndpoint.objects.create(partner=partner, url="https://cad.example/hook", events=["call.created"])
    return Delivery.objects.create(endpoint=endpoint, event="call.created", payload={"narrative": "x"}, person=w.person)


# label -> (kind, how to find one object in the access matrix's world, or the reason it holds no person data)
ADMIN: dict[str, tuple[str, object]] = {
    "crisis.Person": (PERSON_DATA, lambda w: w.person),
    "crisis.AuditEntry": (PERSON_DATA, lambda w: AuditEntry.objects.order_by("id").first()),  # search terms, purposes
    "dispatch.Call": (PERSON_DATA, lambda w: w.calls["working"]),
    "history.Consent": (PERSON_DATA, _consent),
    "history.ResponsePlan": (PERSON_DATA, _response_plan),
    "mobile_crisis.FollowUp": (PERSON_DATA, lambda w: w.follow_up),
    "community_responders.Referral": (PERSON_DATA, lambda w: w.referral),
    "fact.Enrollment": (PERSON_DATA, lambda w: w.enrollment),
    "homeless_outreach.OutreachContact": (PERSON_DATA, _outreach_contact),
    "homeless_outreach.SharingConsent": (PERSON_DATA, lambda w: w.sharing_consent),
    "le_consult.Consult": (PERSON_DATA, lambda w: w.consult),
    "diversion.Diversion": (PERSON_DATA, lambda w: w.diversion),
    "responders.SosAlert": (PERSON_DATA, lambda w: SosAlert.objects.get(pk=w.ids["alert"])),  # the call, where it is
    "responders.SupervisionNote": (PERSON_DATA, lambda w: w.intern_note),  # tells of calls and people
    "integrations.Delivery": (PERSON_DATA, _delivery),  # the payload sent: a call, a person
    "auth.Group": (STAFF_OR_SETTINGS, "roles"),
    "axes.AccessAttempt": (STAFF_OR_SETTINGS, "staff sign-in attempts (no password kept)"),
    "axes.AccessLog": (STAFF_OR_SETTINGS, "staff sign-ins"),
    "axes.AccessFailureLog": (STAFF_OR_SETTINGS, "staff sign-in failures"),
    "otp_totp.TOTPDevice": (STAFF_OR_SETTINGS, "staff authenticators"),
    "otp_static.StaticDevice": (STAFF_OR_SETTINGS, "staff recovery codes"),
    "crisis.User": (STAFF_OR_SETTINGS, "staff accounts"),
    "programs.Program": (STAFF_OR_SETTINGS, "programs' settings"),
    "community_responders.Partner": (STAFF_OR_SETTINGS, "partner organisations"),
    "fact.OnCallShift": (STAFF_OR_SETTINGS, "staff rota"),
    "homeless_outreach.PartnerAgencyUser": (STAFF_OR_SETTINGS, "which agency a staff user works for"),
    "le_consult.OnCallShift": (STAFF_OR_SETTINGS, "staff rota"),
    "responders.Team": (STAFF_OR_SETTINGS, "teams, members, live status"),
    "responders.InternTerm": (STAFF_OR_SETTINGS, "interns' terms"),
    "integrations.PartnerSystem": (STAFF_OR_SETTINGS, "partners' systems (credentials shown once)"),
    "integrations.WebhookEndpoint": (STAFF_OR_SETTINGS, "partners' URLs and event kinds"),
}


def admin_models() -> dict[str, tuple[type, object]]:
    from django.contrib import admin

    return {model._meta.label: (model, model_admin) for model, model_admin in admin.site._registry.items()}


def test_every_admin_model_is_classified():
    from crisis.admin import AuditedReadAdmin

    found = admin_models()
    missing = sorted(set(found) - set(ADMIN))
    stale = sorted(set(ADMIN) - set(found))
    lines = "\n".join(
        f'    "{label}": (PERSON_DATA, lambda w: <one in the world>),  # or STAFF_OR_SETTINGS' for label in missing
    )
    assert not missing, f"add to ADMIN in {__file__} (does the model hold a person's data?):\n{lines}"
    assert not stale, f"ADMIN names models the admin no longer registers; remove them: {stale}"
    for label, (_model, model_admin) in found.items():
        if ADMIN[label][0] == PERSON_DATA:
            assert isinstance(model_admin, AuditedReadAdmin), f"{label}'s admin must be a crisis.admin.AuditedReadAdmin"
            assert model_admin.read_action and model_admin.list_action, f"{label}: name its read and list actions"


def _admin_cases():
    return [
        pytest.param(label, page, id=f"{label}:{page}")
        for label in admin_models()
        if ADMIN.get(label, (None,))[0] == PERSON_DATA
        for page in ("changelist", "change")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("label, page", _admin_cases())
def test_each_admin_read_of_person_data_writes_an_audit_row(client, world, personas, label, page):  # noqa: F811
    from django.urls import reverse

    model, model_admin = admin_models()[label]
    obj = ADMIN[label][1](world)
    assert obj is not None, f"the world holds no {label}: give ADMIN a function that makes one"
    # The first persona the admin lets in to view the model; else an administrator account outside the roles.
    user = next(
        (u for p in PERSONAS if (u := personas[p]).is_staff and model_admin.has_view_permission(_as(u))),
        None,
    ) or User.objects.create_superuser(username="root", password="a long admin passphrase 9")
    info = (model._meta.app_label, model._meta.model_name)
    url = reverse(f"admin:{info[0]}_{info[1]}_changelist")
    if page == "change":
        url = reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk])
    client.force_login(user)
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(url, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 200, (url, user.username, response.status_code)
    rows = list(AuditEntry.objects.filter(id__gt=before, actor=user).exclude(action__startswith="crisis.login"))
    action = model_admin.read_action if page == "change" else model_admin.list_action
    assert [(r.action, r.ip_address, r.detail.get("via")) for r in rows] == [(action, "198.51.100.7", "admin")], (
        url,
        [(r.action, r.detail) for r in rows],
    )
    if page == "change":
        assert rows[0].object_id == str(obj.pk)
    else:
        assert obj.pk in rows[0].detail["ids"], (url, rows[0].detail)


def _as(user):
    """A request as `user`, for asking the admin what they may see."""
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# --- writes that answer with data -------------------------------------------------------------------------------
# Every POST, PUT and PATCH route of the URLconf (as the access matrix finds them). WRITE_RECORDED: the answer is
# the row the write just changed (the call's detail after a triage, the consult after accepting it, the referral
# after a status change): the write's own record, the call's timeline row (dispatch.CallEvent) or an audit row,
# already names the actor, the object and the address, so a second "viewed" row would write the same fact twice
# (STYLE: one log per fact); the accounting of a record's readers reads both. A write whose answer showed rows it
# did not change would need a read row of its own: there is none today (searches and lists are GETs, above).
# NO_PERSON: the answer carries no person's data, said why (a redirect to a page whose GET is audited above, an
# id, the user's own account, a team's state). A route missing here fails with the line to add.
WRITE_RECORDED = "write recorded"
NO_PERSON = "no person data"
REDIRECT = "a redirect (or a form error) to a page whose GET is audited"

WRITES: dict[str, str] = {
    "login/": NO_PERSON,  # sign-in: the user's own account
    "logout/": NO_PERSON,
    "mfa/": NO_PERSON,
    "password/": NO_PERSON,
    "session/keepalive/": NO_PERSON,  # 204
    "people/merge/": REDIRECT,
    "history/people/<int:pk>/": REDIRECT,  # the purpose form: history_view audits what it shows
    "history/people/<int:pk>/plan/": REDIRECT,
    "dispatch/calls/new/": REDIRECT,  # the intake form; its duplicates list is audited (dispatch.views)
    "dispatch/calls/<int:pk>/triage/": REDIRECT,
    "dispatch/calls/<int:pk>/needs/": REDIRECT,
    "dispatch/calls/<int:pk>/resolve/": REDIRECT,
    "dispatch/calls/<int:pk>/close/": REDIRECT,
    "dispatch/calls/<int:pk>/cancel/": REDIRECT,
    "dispatch/calls/<int:pk>/assign/": REDIRECT,
    "dispatch/calls/<int:pk>/confirm/": REDIRECT,
    "dispatch/officer/": REDIRECT,  # the officer's own request form
    "api/calls/": WRITE_RECORDED,  # the new call's detail; officers get their own request's status only
    "api/calls/<int:pk>/triage/": WRITE_RECORDED,
    "api/calls/<int:pk>/needs/": WRITE_RECORDED,
    "api/calls/<int:pk>/close/": WRITE_RECORDED,
    "api/calls/<int:pk>/cancel/": WRITE_RECORDED,
    "api/calls/<int:pk>/resolve-by-phone/": WRITE_RECORDED,
    "api/calls/<int:pk>/assign/": WRITE_RECORDED,
    "api/calls/<int:pk>/confirm/": WRITE_RECORDED,
    "api/calls/<int:pk>/advance/": WRITE_RECORDED,  # the call's list row
    "api/calls/<int:pk>/clear/": WRITE_RECORDED,
    "api/assignments/<int:pk>/accept/": NO_PERSON,  # the assignment: call id, team, times
    "api/assignments/<int:pk>/decline/": NO_PERSON,
    "api/assignments/<int:pk>/withdraw/": NO_PERSON,
    "api/teams/<int:pk>/status/": NO_PERSON,  # the team's own state
    "api/teams/<int:pk>/location/": NO_PERSON,
    "api/people/merges/": WRITE_RECORDED,  # the kept record's identity; people.person.merged names both
    "api/telephony/answered/": NO_PERSON,  # the call's id and its answer time
    "api/calls/<int:pk>/notes/": WRITE_RECORDED,  # the note just written
    "api/teams/<int:pk>/sos/": WRITE_RECORDED,  # the alert: where the team is, the call
    "api/alerts/<int:pk>/acknowledge/": WRITE_RECORDED,
    "programs/mobile_crisis/follow-ups/<int:pk>/record/": REDIRECT,
    "programs/mobile_crisis/api/follow-ups/<int:pk>/record/": WRITE_RECORDED,
    "programs/community_responders/referrals/<int:pk>/status/": REDIRECT,
    "programs/community_responders/api/referrals/": WRITE_RECORDED,
    "programs/community_responders/api/referrals/<int:pk>/status/": WRITE_RECORDED,
    "programs/homeless_outreach/people/<int:pk>/contact/": REDIRECT,
    "programs/homeless_outreach/api/contacts/": NO_PERSON,  # the new contact's id
    "programs/homeless_outreach/people/<int:pk>/consents/": REDIRECT,
    "programs/homeless_outreach/consents/<int:pk>/revoke/": REDIRECT,
    "programs/homeless_outreach/api/consents/": NO_PERSON,  # the new consent's id
    "programs/homeless_outreach/api/consents/<int:pk>/revoke/": NO_PERSON,  # id and revocation time
    "programs/le_consult/api/consults/": WRITE_RECORDED,  # the consult row: person, description, messages
    "programs/le_consult/api/consults/<int:pk>/accept/": WRITE_RECORDED,
    "programs/le_consult/api/consults/<int:pk>/messages/": WRITE_RECORDED,
    "programs/le_consult/api/consults/<int:pk>/close/": WRITE_RECORDED,
    "programs/le_consult/api/consults/<int:pk>/cancel/": WRITE_RECORDED,
    "programs/le_consult/api/consults/<int:pk>/team/": WRITE_RECORDED,
    "programs/le_consult/api/consults/<int:pk>/person/": WRITE_RECORDED,
    "history/people/<int:pk>/consents/": REDIRECT,
    "history/people/<int:pk>/consents/<int:consent_id>/revoke/": REDIRECT,
    "interns/notes/<int:pk>/sign/": REDIRECT,
    "interns/hours/": REDIRECT,
    "interns/hours/<int:pk>/sign/": REDIRECT,
    "interns/terms/<int:pk>/end/": REDIRECT,
    "api/interns/notes/<int:pk>/sign/": WRITE_RECORDED,  # the note: an intern's account of their work
    "programs/diversion/<int:pk>/take/": REDIRECT,
    "programs/diversion/<int:pk>/document/": REDIRECT,
    "programs/diversion/<int:pk>/refer/": REDIRECT,
    "programs/diversion/<int:pk>/end/": REDIRECT,
    "programs/diversion/api/transfers/": WRITE_RECORDED,  # the diversion row: caller's name and number
    "api/calls/<int:pk>/handoffs/": NO_PERSON,  # agency, incident number, unit
    "api/calls/<int:pk>/units/": NO_PERSON,  # agency, unit, status
    "api/units/<int:pk>/status/": NO_PERSON,
    "api/push/subscriptions/": NO_PERSON,  # the user's own device
    "api/calls/intake/": WRITE_RECORDED,  # the new call's detail
    "programs/fact/teams/<int:team_pk>/on-call/": REDIRECT,
    "programs/fact/clients/<int:pk>/<str:action>/": REDIRECT,
    "programs/fact/goals/<int:pk>/status/": REDIRECT,
    "programs/fact/api/enrollments/": WRITE_RECORDED,  # the enrolment: diagnosis, justice involvement
    "programs/fact/api/enrollments/<int:pk>/contacts/": WRITE_RECORDED,
    "programs/fact/api/enrollments/<int:pk>/goals/": WRITE_RECORDED,
    "programs/fact/api/enrollments/<int:pk>/outcomes/": WRITE_RECORDED,
    "programs/fact/api/enrollments/<int:pk>/plan/": WRITE_RECORDED,
    "programs/fact/api/enrollments/<int:pk>/discharge/": WRITE_RECORDED,
    "programs/fact/api/goals/<int:pk>/status/": WRITE_RECORDED,
    "programs/fact/api/teams/<int:pk>/on-call/": NO_PERSON,  # a staff shift
    "programs/crisis_stabilization/episodes/<int:pk>/<str:action>/": REDIRECT,
    "programs/crisis_stabilization/api/episodes/": WRITE_RECORDED,
    "programs/crisis_stabilization/api/episodes/<int:pk>/contacts/": WRITE_RECORDED,
    "programs/crisis_stabilization/api/episodes/<int:pk>/close/": WRITE_RECORDED,
    "programs/care/escalations/<int:pk>/acknowledge/": REDIRECT,
    "programs/care/api/escalations/<int:pk>/acknowledge/": WRITE_RECORDED,  # its title names the client
    "api/integrations/eido/incidents/": WRITE_RECORDED,  # the imported call's id and EIDO
    "api/integrations/deliveries/<int:pk>/replay/": NO_PERSON,  # the delivery's partner, event, status
    "fhir/Task/<int:pk>": WRITE_RECORDED,  # the FHIR Task of a referral
    "programs/tenth_program/stays/": WRITE_RECORDED,  # a test plug-in's stay (tests/support/tenth_program)
}
WRITE_METHODS = ("POST", "PUT", "PATCH")


def write_routes() -> dict[str, list[str]]:
    """Every route some persona may POST, PUT or PATCH, with those methods."""
    found = routes()
    return {
        route: [m for m in WRITE_METHODS if cells.get(m)]
        for route, cells in EXPECTED.items()
        if route in found and any(cells.get(m) for m in WRITE_METHODS)
    }


def test_every_write_route_is_classified():
    found = write_routes()
    missing = [route for route in found if route not in WRITES]
    stale = sorted(set(WRITES) - set(found))
    lines = "\n".join(f'    "{route}": WRITE_RECORDED,  # or NO_PERSON / REDIRECT, with why' for route in missing)
    assert not missing, f"add to WRITES in {__file__} (does its answer carry a person's data?):\n{lines}"
    assert not stale, f"WRITES names routes no persona can write any more; remove them: {stale}"


def _twin(w):
    from crisis.models import Person

    return Person.objects.create(first_name=w.person.first_name, last_name=w.person.last_name)


def _accepted(w) -> dict:
    """The world's consult, taken by its clinician (cam): what closing it or sending a team needs first."""
    from programs.le_consult.services import consult_accept

    consult_accept(consult=w.consult, by=w.users["clinician"])
    return {}


def _on_scene(w) -> dict:
    """Team B arrives at the call it is working: what closing it needs first."""
    from dispatch.assignments import call_advance

    call_advance(call=w.calls["working"], to="on_scene", by=w.users["responder_b"])
    return {}


def _call(key):
    return lambda w: {"pk": w.calls[key].pk}


# A valid request for a WRITE_RECORDED route: (persona, path objects (None: the matrix's), JSON body). Without one,
# the matrix's own request (an empty body) is made; where that is refused the route is NOT_PERFORMED below.
BODIES: dict[str, tuple[str, object, object]] = {
    "api/calls/": ("dana", None, CALL_DEFAULTS),
    "api/calls/intake/": ("dana", None, CALL_DEFAULTS | {"screen": {"caller_not_asked": True}}),
    "api/calls/<int:pk>/triage/": ("dana", _call("received"), {"caller_not_asked": True}),
    "api/calls/<int:pk>/cancel/": ("dana", _call("received"), {"reason": "Duplicate"}),
    "api/calls/<int:pk>/needs/": ("dana", _call("triaged"), {"needs": ["medical"]}),
    "api/calls/<int:pk>/notes/": ("dana", _call("working"), {"text": "Caller called back"}),
    "programs/le_consult/api/consults/<int:pk>/messages/": ("oli", None, {"text": "He is calmer now"}),
    "api/calls/<int:pk>/advance/": ("bo", _call("working"), {"status": "on_scene", "expected_status": "en_route"}),
    "api/calls/<int:pk>/resolve-by-phone/": ("dana", _call("triaged"), {"text": "Talked it through"}),
    "programs/diversion/api/transfers/": (
        "dana",
        None,
        {"incident_id": "CAD-77", "address": "1 Main St", "nature": "Panic"},
    ),
    "programs/fact/api/enrollments/<int:pk>/contacts/": ("sue", None, {"method": "office"}),
    "programs/fact/api/enrollments/<int:pk>/goals/": ("sue", None, {"text": "Stable housing"}),
    "api/people/merges/": ("sue", None, lambda w: {"keep": w.person.pk, "merge": _twin(w).pk, "reason": "Same man"}),
    "programs/mobile_crisis/api/follow-ups/<int:pk>/record/": ("rita", None, {"reached": True, "method": "phone"}),
    "programs/community_responders/api/referrals/": (
        "bo",
        None,
        lambda w: {"call": w.calls["working"].pk, "agency": "Lakeside Shelter", "service": "Housing intake"},
    ),
    "programs/community_responders/api/referrals/<int:pk>/status/": ("bo", None, {"status": "accepted"}),
    "programs/crisis_stabilization/api/episodes/<int:pk>/contacts/": (
        "sue",
        None,
        lambda w: {"method": "phone", "next_due_at": (timezone.now() + timedelta(days=1)).isoformat()},
    ),
    "programs/crisis_stabilization/api/episodes/<int:pk>/close/": ("sue", None, {"outcome": "stabilized"}),
    "programs/fact/api/enrollments/": (
        "sue",
        None,
        lambda w: {
            "person": _twin(w).pk,
            "team": w.enrollment.team_id,
            "serious_mental_illness": True,
            "justice_involvement": "probation",
        },
    ),
    "programs/fact/api/enrollments/<int:pk>/plan/": ("sue", None, {"crisis_plan": "Call his sister first"}),
    "programs/fact/api/enrollments/<int:pk>/outcomes/": (
        "sue",
        None,
        lambda w: {"kind": "arrest", "on": timezone.localdate().isoformat()},
    ),
    "programs/fact/api/enrollments/<int:pk>/discharge/": ("sue", None, {"reason": "moved"}),
    "programs/fact/api/goals/<int:pk>/status/": ("sue", None, {"status": "met"}),
    "programs/le_consult/api/consults/": (
        "oli",
        None,
        {"need": "advice", "description": "Woman on the platform edge", "address": "Lake St Bridge"},
    ),
    "programs/le_consult/api/consults/<int:pk>/person/": ("sue", None, lambda w: {"person": w.person.pk}),
    "programs/le_consult/api/consults/<int:pk>/close/": (
        "cam",
        None,
        lambda w: _accepted(w) | {"outcome": "arrest_avoided"},
    ),
    "programs/le_consult/api/consults/<int:pk>/team/": ("cam", None, _accepted),
    "api/calls/<int:pk>/close/": ("dana", _call("working"), lambda w: _on_scene(w) | {"disposition": "stabilized"}),
    "api/calls/<int:pk>/clear/": ("bo", _call("working"), lambda w: _on_scene(w) | {"disposition": "stabilized"}),
}
# WRITE_RECORDED routes not performed with a valid request yet (their test is a strict expected failure, so it
# errors the day a body above makes it pass): docs/security.md "Left".
NOT_PERFORMED = {
    "api/calls/<int:pk>/assign/",  # every team of the world is busy
    "api/calls/<int:pk>/confirm/",
    "programs/crisis_stabilization/api/episodes/",
    "api/integrations/eido/incidents/",
    "fhir/Task/<int:pk>",
    "programs/tenth_program/stays/",
}


def _write_cases():
    cases = []
    for route, methods in write_routes().items():
        kind = WRITES.get(route)
        marks = [pytest.mark.xfail(strict=True, reason="no valid request yet: docs/security.md, Beyond issue 13")] * (
            kind == WRITE_RECORDED and route in NOT_PERFORMED
        )
        cases.append(pytest.param(route, methods[0], kind, id=f"{methods[0]} {route}", marks=marks))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize("route, method, kind", _write_cases())
def test_each_write_answering_with_person_data_is_recorded(client, world, personas, route, method, kind):  # noqa: F811
    from dispatch.models import CallEvent

    if kind is None:
        pytest.skip("not classified: test_every_write_route_is_classified says the line to add")
    persona, objects, body = BODIES.get(route) or (next(p for p in PERSONAS if p in EXPECTED[route][method]), None, {})
    user = personas[persona]
    url = url_for(route, world) if objects is None else "/" + route.replace("<int:pk>", str(objects(world)["pk"]))
    body = body(world) if callable(body) else body
    client.force_login(user)
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    before_event = CallEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if route.startswith(("api/", "fhir/")) or "/api/" in route:
        response = client.generic(method, url, json.dumps(body), content_type="application/json", REMOTE_ADDR=ADDR)
    else:
        response = client.generic(method, url, "", content_type="application/x-www-form-urlencoded", REMOTE_ADDR=ADDR)
    assert response.status_code < 500, (url, persona, response.status_code)
    rows = [
        (r.action, r.ip_address)
        for r in AuditEntry.objects.filter(id__gt=before, actor=user).exclude(action__startswith="crisis.login")
    ]
    events = [(e.kind, e.ip_address) for e in CallEvent.objects.filter(id__gt=before_event, actor=user)]
    recorded = f"{method} {url} as {persona} answered with a person's data and recorded nothing"
    assert all(ip == ADDR for _, ip in rows + events), (rows, events)
    # Whatever the kind: an answer that names the world's person (a form error re-rendering a list of people,
    # say) is recorded.
    if world.person.last_name in response.content.decode():
        assert kind != NO_PERSON, f"{url} is NO_PERSON in WRITES and answered with a person's data"
        assert rows or events, recorded
    if kind == REDIRECT:
        # Done: a redirect to the audited page. Refused: the form's error.
        assert response.status_code in (200, 204, 302, 303, 400, 409), (url, response.status_code)
        return
    if kind == NO_PERSON:
        return
    assert 200 <= response.status_code < 300, (url, persona, response.status_code, response.content[:300])
    assert rows or events, recorded


ADDR = "198.51.100.7"
