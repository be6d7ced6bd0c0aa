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
"""

from __future__ import annotations

import pytest

from crisis.models import AuditEntry
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
    "dispatch/calls/new/": (NOT_PHI, ""),  # an empty intake form
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
