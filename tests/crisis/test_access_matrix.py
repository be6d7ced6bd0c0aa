"""Role × endpoint × method: every URL pattern and every API operation, as every persona, against one table.

The routes are generated from the URLconf (crisis/urls.py and everything it includes) and the OpenAPI schema
(drf-spectacular); EXPECTED below is the only place that says who may do what. A new URL or a new method on an
existing one without an entry fails `test_every_route_and_operation_has_an_expected_entry`, whose message is
the line to paste (with the roles that get through today, to be checked, not rubber-stamped).

Reading a cell: the personas listed may use the method on that URL (anything but 401/403/404, a redirect to the
sign-in page, or a 5xx); every other persona must be refused (403, or 404 where the object is hidden from them);
signed out, a page sends to the sign-in page and the API answers 401/403. Each persona's request runs in a
savepoint rolled back afterwards, so one persona's POST never changes what the next one sees.
Personas (tests/conftest.py): dana dispatcher, cam clinician, sue supervisor, oli officer, ada administrator,
rita responder on team A, bo responder on team B, lou police homeless liaison and hana housing navigator (partner
agencies' users: the by-name list and their own encounters, refused everything else), nora no role.
The Django admin (admin/...) is outside this table: each admin page checks the model permissions granted by
crisis/roles.py, tested in tests/crisis/test_roles.py and tests/browser/test_admin_staffing.py.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic.edit import ProcessFormView
from drf_spectacular.generators import SchemaGenerator

from crisis.history.models import ConsentScope
from crisis.history.services import consent_record
from dispatch.units import unit_add
from integrations.models import Delivery
from integrations.services import endpoint_save, partner_create
from responders.models import PushSubscription
from tests.fuzz import conftest as fuzz_world
from tests.support.consults import consult_program, kit, on_call, request_consult  # noqa: F401 (fixtures)

world = fuzz_world.world  # the fixture: a demo-like world with every role (tests/fuzz/conftest.py)

PERSONAS = ("dana", "cam", "sue", "oli", "ada", "rita", "bo", "lou", "hana", "nora")

EVERYONE = frozenset(PERSONAS)
DESK = frozenset({"dana", "cam", "sue", "ada"})  # the call desk: dispatch.view_call / view_queue
ASSIGNERS = frozenset({"dana", "sue", "ada"})  # dispatch.assign_call (clinicians do not assign)
PERSON_READERS = frozenset({"cam", "sue", "ada"})  # crisis.view_person_record
HISTORY = frozenset({"cam", "sue"})  # history.search_history
REPORTERS = frozenset({"sue", "ada"})  # crisis.view_reports
OFFICER = frozenset({"oli"})
RESPONDERS = frozenset({"rita", "bo"})  # rita on team A, bo on team B
MANAGERS = frozenset({"sue", "ada"})  # responders.manage_team
PEOPLE_SEARCH = DESK | RESPONDERS  # crisis.search_people: the desk, clinicians, case managers (responders)
MERGERS = frozenset({"sue"})  # crisis.merge_person: supervisors
PARTNERS = frozenset({"lou", "hana"})  # homeless_outreach.work_for_partner: partner agencies' users
CONSENT_KEEPERS = frozenset({"sue", "rita", "bo"})  # homeless_outreach.keep_sharing_consent: outreach staff
NOBODY = frozenset()

# route (as in the URLconf) -> {METHOD: personas allowed}. Keep it sorted by URL file, one line per route.
EXPECTED: dict[str, dict[str, frozenset[str]]] = {
    # crisis/urls.py
    "": {"GET": EVERYONE - {"nora"}},  # home: a redirect to the role's page; no role, a 403
    "login/": {"GET": EVERYONE, "POST": EVERYONE},
    "logout/": {"POST": EVERYONE},
    "mfa/": {"GET": EVERYONE, "POST": EVERYONE},  # two-step sign-in (crisis/mfa.py): each for their own account
    # Each changes their own password (crisis/passwords.py); no role needed: an administrator's new account must.
    "password/": {"GET": EVERYONE, "POST": EVERYONE},
    "healthz/": {"GET": EVERYONE},
    "session/keepalive/": {"POST": EVERYONE},
    "people/": {"GET": PEOPLE_SEARCH},
    "people/duplicates/": {"GET": MERGERS},
    "people/merge/": {"POST": MERGERS},
    "people/<int:pk>/": {"GET": PERSON_READERS},
    # crisis/history/urls.py
    "history/": {"GET": HISTORY},
    "history/people/<int:pk>/": {"GET": HISTORY, "POST": HISTORY},
    # The accounting of disclosures: the privacy officer (tests/crisis/test_privacy.py) and administrators.
    "privacy/": {"GET": frozenset({"ada"})},
    "privacy/people/<int:pk>/": {"GET": frozenset({"ada"})},
    "history/people/<int:pk>/plan/": {"POST": frozenset({"cam"})},  # history.edit_response_plan
    # dispatch/urls.py, dispatch/phone_urls.py
    "dispatch/": {"GET": DESK},
    "dispatch/board/": {"GET": DESK},
    "dispatch/calls/new/": {"GET": DESK, "POST": DESK},
    "dispatch/calls/<int:pk>/": {"GET": DESK},
    "dispatch/calls/<int:pk>/triage/": {"POST": DESK},
    "dispatch/calls/<int:pk>/needs/": {"POST": DESK},  # dispatch.triage_call: the desk states what a call needs
    "dispatch/calls/<int:pk>/resolve/": {"POST": DESK},
    "dispatch/calls/<int:pk>/close/": {"POST": DESK},
    "dispatch/calls/<int:pk>/cancel/": {"POST": DESK},
    "dispatch/calls/<int:pk>/assign/": {"POST": ASSIGNERS},
    "dispatch/calls/<int:pk>/confirm/": {"POST": ASSIGNERS},
    "dispatch/history/": {"GET": DESK},
    "dispatch/search/": {"GET": DESK},
    "dispatch/closed/": {"GET": DESK},
    "api/calls/search/": {"GET": DESK},
    "dispatch/officer/": {"GET": OFFICER, "POST": OFFICER},
    "responder/": {"GET": RESPONDERS},
    # crisis/urls.py: the API. {pk} of a call is team B's working call; of an assignment, team A's offer.
    "api/schema/": {"GET": DESK},
    "api/docs/": {"GET": DESK},
    "api/calls/": {"GET": DESK | OFFICER, "POST": DESK | OFFICER},  # officers list only their own requests
    "api/calls/<int:pk>/": {"GET": DESK},
    "api/calls/<int:pk>/triage/": {"POST": DESK},
    "api/calls/<int:pk>/needs/": {"POST": DESK},
    "api/calls/<int:pk>/close/": {"POST": DESK},
    "api/calls/<int:pk>/cancel/": {"POST": DESK},
    "api/calls/<int:pk>/resolve-by-phone/": {"POST": DESK},
    "api/calls/<int:pk>/assign/": {"POST": ASSIGNERS},
    "api/calls/<int:pk>/confirm/": {"POST": ASSIGNERS},
    "api/calls/<int:pk>/history/": {"GET": DESK},
    "api/calls/<int:pk>/advance/": {"POST": ASSIGNERS | {"bo"}},  # may_work_call: the assigned team or the desk
    "api/calls/<int:pk>/clear/": {"POST": DESK | {"bo"}},  # may_clear_call
    "api/assignments/<int:pk>/accept/": {"POST": frozenset({"rita"})},  # may_answer_offer: team A only
    "api/assignments/<int:pk>/decline/": {"POST": frozenset({"rita"})},
    "api/assignments/<int:pk>/withdraw/": {"POST": ASSIGNERS},
    "api/teams/": {"GET": DESK},
    "api/teams/<int:pk>/status/": {"POST": ASSIGNERS | {"rita"}},  # may_act_for_team (team A) or the desk
    "api/teams/<int:pk>/location/": {"POST": ASSIGNERS | {"rita"}},
    "api/people/": {"GET": PEOPLE_SEARCH},
    "api/people/duplicates/": {"GET": MERGERS},
    "api/people/merges/": {"POST": MERGERS},
    "api/people/<int:pk>/": {"GET": PERSON_READERS},
    # Address lookup: the call desk and officers (their own requests' positions); places, not person data.
    "api/geocode/": {"GET": DESK | OFFICER},
    "api/geocode/reverse/": {"GET": DESK | OFFICER},
    "api/board/": {"GET": DESK},
    # The desk's phone (and a phone system's integration account, not a persona here) reports answers.
    "api/telephony/answered/": {"POST": DESK},
    "api/my-team/": {"GET": RESPONDERS},
    "api/calls/<int:pk>/notes/": {"POST": DESK | {"bo"}},
    "api/teams/<int:pk>/sos/": {"POST": frozenset({"rita"})},
    "api/alerts/<int:pk>/acknowledge/": {"POST": ASSIGNERS},
    # reports/urls.py
    "reports/": {"GET": REPORTERS},
    "reports/<slug:name>/": {"GET": REPORTERS},
    "reports/<slug:name>/<slug:table>.csv": {"GET": REPORTERS},
    "api/reports/<slug:name>/": {"GET": REPORTERS},
    # programs/<app>/urls.py (each program's plugin). Lists are filtered to the user's team inside.
    "programs/mobile_crisis/follow-ups/": {"GET": RESPONDERS | MANAGERS},
    "programs/mobile_crisis/follow-ups/<int:pk>/record/": {"POST": MANAGERS | {"rita"}},  # team A's follow-up
    "programs/mobile_crisis/api/follow-ups/": {"GET": RESPONDERS | MANAGERS},
    "programs/mobile_crisis/api/follow-ups/<int:pk>/record/": {"POST": MANAGERS | {"rita"}},
    "programs/community_responders/referrals/": {"GET": DESK | RESPONDERS},
    "programs/community_responders/referrals/<int:pk>/status/": {"POST": DESK | {"bo"}},  # team B's referral
    "programs/community_responders/api/partners/": {"GET": DESK | RESPONDERS},
    # Creating names its call in the body: the role here, the team in the service.
    "programs/community_responders/api/referrals/": {"GET": DESK | RESPONDERS, "POST": DESK | RESPONDERS},
    "programs/community_responders/api/referrals/<int:pk>/status/": {"POST": DESK | {"bo"}},
    # The world's consult waits for the on-call clinician (cam) to accept: until then only the officer who
    # asked and supervisors follow it.
    # The by-name list: partners too, each row as the person's consent to share with their agency allows.
    "programs/homeless_outreach/": {"GET": DESK | RESPONDERS | PARTNERS},
    "programs/homeless_outreach/people/<int:pk>/contact/": {
        "GET": ASSIGNERS | RESPONDERS | PARTNERS,
        "POST": ASSIGNERS | RESPONDERS | PARTNERS,
    },
    "programs/homeless_outreach/api/by-name-list/": {"GET": DESK | RESPONDERS | PARTNERS},
    "programs/homeless_outreach/api/contacts/": {"POST": ASSIGNERS | RESPONDERS | PARTNERS},
    # Consents to share with partner agencies: outreach staff (responders, supervisors), never the partners.
    "programs/homeless_outreach/people/<int:pk>/consents/": {"GET": CONSENT_KEEPERS, "POST": CONSENT_KEEPERS},
    "programs/homeless_outreach/consents/<int:pk>/revoke/": {"POST": CONSENT_KEEPERS},
    "programs/homeless_outreach/api/consents/": {"POST": CONSENT_KEEPERS},
    "programs/homeless_outreach/api/consents/<int:pk>/revoke/": {"POST": CONSENT_KEEPERS},
    "programs/le_consult/": {"GET": OFFICER | {"cam", "sue"}},
    "programs/le_consult/api/snapshot/": {"GET": OFFICER | {"cam", "sue"}},
    "programs/le_consult/api/consults/": {"POST": OFFICER},
    "programs/le_consult/api/consults/<int:pk>/accept/": {"POST": frozenset({"cam", "sue"})},
    "programs/le_consult/api/consults/<int:pk>/messages/": {"POST": OFFICER | {"sue"}},
    "programs/le_consult/api/consults/<int:pk>/close/": {"POST": frozenset({"sue"})},
    "programs/le_consult/api/consults/<int:pk>/cancel/": {"POST": OFFICER},
    # Sending a team: the clinician handling the consult (none yet in the world's; a supervisor gets the 409)
    "programs/le_consult/api/consults/<int:pk>/team/": {"POST": frozenset({"sue"})},
    "programs/le_consult/api/consults/<int:pk>/person/": {"POST": frozenset({"sue"})},
    # crisis/history consents, recorded and revoked by clinicians (history.edit_response_plan)
    "history/people/<int:pk>/consents/": {"POST": frozenset({"cam"})},
    "history/people/<int:pk>/consents/<int:consent_id>/revoke/": {"POST": frozenset({"cam"})},
    # Interns' supervision log: the world's note is an intern's, supervised by sue
    "interns/": {"GET": frozenset({"ada", "sue"})},
    "interns/notes/<int:pk>/sign/": {"POST": frozenset({"sue"})},
    # Hours: an intern logs them (no persona is an intern: the staffing roles pass the page's door, then the
    # form refuses); the intern's supervisor signs them off.
    "interns/hours/": {"POST": frozenset({"ada", "sue"})},
    "interns/hours/<int:pk>/sign/": {"POST": frozenset({"sue"})},
    # Turnover, for program managers (the staffing roles), with its CSV; they also end a term early.
    "interns/turnover/": {"GET": frozenset({"ada", "sue"})},
    "interns/turnover.csv": {"GET": frozenset({"ada", "sue"})},
    "interns/terms/<int:pk>/end/": {"POST": frozenset({"ada", "sue"})},
    "api/interns/notes/": {"GET": frozenset({"ada", "sue"}), "POST": NOBODY},
    "api/interns/notes/<int:pk>/sign/": {"POST": frozenset({"sue"})},
    # The world's consult waits for a clinician: only its officer may open the video page yet
    "programs/le_consult/consults/<int:pk>/video/": {"GET": OFFICER},
    # The consent before the video and the note after it: only the clinician handling it (none in the world)
    "programs/le_consult/consults/<int:pk>/video/consent/": {"POST": NOBODY},
    "programs/le_consult/consults/<int:pk>/video/note/": {"POST": NOBODY},
    # 911 diversion: the console is the diversion clinicians'; the world's transfer is taken by cam
    "programs/diversion/": {"GET": frozenset({"cam"})},
    "programs/diversion/<int:pk>/": {"GET": frozenset({"cam"})},
    "programs/diversion/<int:pk>/take/": {"POST": frozenset({"cam"})},
    "programs/diversion/<int:pk>/document/": {"POST": frozenset({"cam"})},
    "programs/diversion/<int:pk>/refer/": {"POST": frozenset({"cam"})},
    "programs/diversion/<int:pk>/end/": {"POST": frozenset({"cam"})},
    # A 911 CAD transfers calls with a call-desk token
    "programs/diversion/api/transfers/": {"POST": DESK},
    "programs/diversion/api/snapshot/": {"GET": frozenset({"cam"})},
    # Police/EMS hand-off (dispatch/handoffs.py): the call desk that assigns
    "api/calls/<int:pk>/handoffs/": {"POST": ASSIGNERS},
    # Police/EMS units on a call beside the crisis team (dispatch/units.py): the desk that assigns.
    "api/calls/<int:pk>/units/": {"POST": ASSIGNERS},
    "api/units/<int:pk>/status/": {"POST": ASSIGNERS},
    # Web Push: a responder's own browsers; the world's subscription is rita's
    "api/push/subscriptions/": {"POST": frozenset({"rita", "bo"})},
    "api/push/subscriptions/<int:pk>/": {"DELETE": frozenset({"rita"})},
    # One request: a call with its risk screen, created, triaged and routed (the CAD/988 shape)
    "api/calls/intake/": {"POST": DESK},
    # The programs' brief for a call: the desk gets an empty list, the call's team (B) its programs' essentials
    "api/calls/<int:pk>/brief/": {"GET": DESK | {"bo"}},
    # FACT (programs/fact): responders on a team (their own caseload, empty for a non-FACT team) and managers;
    # the world's client is on FACT 1 (fay), so of the personas only managers open the record
    "programs/fact/": {"GET": RESPONDERS | MANAGERS},
    "programs/fact/teams/<int:team_pk>/on-call/": {"POST": MANAGERS},
    "programs/fact/enrol/": {"GET": RESPONDERS | MANAGERS},
    "programs/fact/clients/<int:pk>/": {"GET": MANAGERS},
    "programs/fact/clients/<int:pk>/<str:action>/": {"POST": MANAGERS},
    "programs/fact/goals/<int:pk>/status/": {"POST": MANAGERS},
    "programs/fact/api/caseload/": {"GET": RESPONDERS | MANAGERS},
    "programs/fact/api/enrollments/": {"POST": RESPONDERS | MANAGERS},
    "programs/fact/api/enrollments/<int:pk>/": {"GET": MANAGERS},
    "programs/fact/api/enrollments/<int:pk>/contacts/": {"POST": MANAGERS},
    "programs/fact/api/enrollments/<int:pk>/goals/": {"POST": MANAGERS},
    "programs/fact/api/enrollments/<int:pk>/outcomes/": {"POST": MANAGERS},
    "programs/fact/api/enrollments/<int:pk>/plan/": {"POST": MANAGERS},
    "programs/fact/api/enrollments/<int:pk>/discharge/": {"POST": MANAGERS},
    "programs/fact/api/goals/<int:pk>/status/": {"POST": MANAGERS},
    "programs/fact/api/teams/<int:pk>/on-call/": {"POST": MANAGERS},
    # Crisis stabilization: the same shape; the world's episode is STAB-1's (cora)
    "programs/crisis_stabilization/": {"GET": RESPONDERS | MANAGERS},
    "programs/crisis_stabilization/episodes/<int:pk>/": {"GET": MANAGERS},
    "programs/crisis_stabilization/episodes/<int:pk>/<str:action>/": {"POST": MANAGERS},
    "programs/crisis_stabilization/api/episodes/": {"GET": RESPONDERS | MANAGERS, "POST": RESPONDERS | MANAGERS},
    "programs/crisis_stabilization/api/episodes/<int:pk>/": {"GET": MANAGERS},
    "programs/crisis_stabilization/api/episodes/<int:pk>/contacts/": {"POST": MANAGERS},
    "programs/crisis_stabilization/api/episodes/<int:pk>/close/": {"POST": MANAGERS},
    # My caseload today (programs/care): responders on a team and care supervisors. The world's escalation is
    # team A's stalled follow-up: team A (rita) and the supervisors may acknowledge it, team B (bo) may not.
    "programs/care/": {"GET": RESPONDERS | MANAGERS},
    "programs/care/escalations/<int:pk>/acknowledge/": {"POST": frozenset({"rita"}) | MANAGERS},
    "programs/care/api/caseload/": {"GET": RESPONDERS | MANAGERS},
    "programs/care/api/escalations/<int:pk>/acknowledge/": {"POST": frozenset({"rita"}) | MANAGERS},
    # integrations/: partner systems use tokens; of the staff only administrators reach them
    "api/integrations/eido/incidents/": {"POST": frozenset({"ada"})},
    "api/integrations/eido/calls/<int:pk>/": {"GET": frozenset({"ada"})},
    "api/integrations/deliveries/": {"GET": frozenset({"ada"})},
    "api/integrations/deliveries/<int:pk>/replay/": {"POST": frozenset({"ada"})},
    "api/integrations/hmis/export/": {"GET": frozenset({"ada"})},
    "fhir/ServiceRequest/<int:pk>": {"GET": frozenset({"ada"})},
    "fhir/Task/<int:pk>": {"GET": frozenset({"ada"}), "PUT": frozenset({"ada"}), "PATCH": frozenset({"ada"})},
    # tests/support/tenth_program: the test-only program proving plugins need no edit elsewhere
    "programs/tenth_program/stays/": {"POST": ASSIGNERS | RESPONDERS},
}

# Routes reachable signed out (everything else: a page redirects to sign-in, the API says 401/403).
PUBLIC = {"login/", "healthz/", "logout/"}


# Which object of the world a path parameter names, by route prefix (longest first wins). A route with a
# parameter not covered here fails with the line to add.
def _delivery(world):
    """A webhook delivery about the world's person, to replay (integrations/)."""
    partner, _ = partner_create(name="Matrix CAD", by=world.users["administrator"])
    endpoint = endpoint_save(
        partner=partner,
        url="https://cad.example.org/hook",
        events=["call.created"],
        payload_format="json",
        by=world.users["administrator"],
    )
    return Delivery.objects.create(endpoint=endpoint, event="call.created", payload={}, person=world.person)


def _call_unit(world):
    """A police unit on the call Team B is working (dispatch/units.py), dispatched: any status can follow."""
    return unit_add(call=world.calls["working"], agency="police", unit="4A12", by=world.users["dispatcher"])


def _consent(world):
    """A consent on the world's person, to revoke (crisis/history)."""
    return consent_record(person=world.person, scope=ConsentScope.values[0], by=world.users["clinician"])


def _intern_hours(world):
    """Hours in the supervision log's intern's term, waiting for sue's sign-off (responders/interns.py)."""
    from responders.models import InternHours

    term = world.intern_note.term
    return InternHours.objects.create(term=term, on=term.starts_on, hours=2, activity="Shadowed a diverted call")


def _push_subscription(world):
    """Rita's phone browser subscribed to Web Push (dispatch/push.py)."""
    return PushSubscription.objects.create(
        user=world.users["responder"], endpoint="https://fcm.googleapis.com/fcm/send/matrix", p256dh="k", auth="a"
    )


PATH_OBJECTS = {
    "people/": lambda w: {"pk": w.person.pk},
    "programs/homeless_outreach/people/": lambda w: {"pk": w.person.pk},
    "programs/homeless_outreach/consents/": lambda w: {"pk": w.sharing_consent.pk},
    "programs/homeless_outreach/api/consents/": lambda w: {"pk": w.sharing_consent.pk},
    "history/people/": lambda w: {"pk": w.person.pk},
    "privacy/people/": lambda w: {"pk": w.person.pk},
    "dispatch/calls/": lambda w: {"pk": w.calls["triaged"].pk},
    "api/calls/": lambda w: {"pk": w.calls["working"].pk},
    "api/assignments/": lambda w: {"pk": w.offer.pk},
    "api/teams/<int:pk>/status/": lambda w: {"pk": w.team_a.pk},
    "api/teams/": lambda w: {"pk": w.team_a.pk},
    "api/people/": lambda w: {"pk": w.person.pk},
    "api/alerts/": lambda w: {"pk": w.ids["alert"]},
    "api/units/": lambda w: {"pk": _call_unit(w).pk},
    "history/people/<int:pk>/consents/<int:consent_id>/": lambda w: {"pk": w.person.pk, "consent_id": _consent(w).pk},
    "interns/notes/": lambda w: {"pk": w.intern_note.pk},
    "interns/hours/": lambda w: {"pk": _intern_hours(w).pk},
    "interns/terms/": lambda w: {"pk": w.intern_note.term_id},
    "api/interns/notes/": lambda w: {"pk": w.intern_note.pk},
    "programs/le_consult/consults/": lambda w: {"pk": w.consult.pk},
    "programs/diversion/": lambda w: {"pk": w.diversion.pk},
    "api/push/subscriptions/": lambda w: {"pk": _push_subscription(w).pk},
    "programs/fact/teams/": lambda w: {"team_pk": w.enrollment.team_id},
    "programs/fact/clients/<int:pk>/<str:action>/": lambda w: {"pk": w.enrollment.pk, "action": "contact"},
    "programs/fact/clients/": lambda w: {"pk": w.enrollment.pk},
    "programs/fact/goals/": lambda w: {"pk": w.enrollment.goals.get().pk},
    "programs/fact/api/enrollments/": lambda w: {"pk": w.enrollment.pk},
    "programs/fact/api/goals/": lambda w: {"pk": w.enrollment.goals.get().pk},
    "programs/fact/api/teams/": lambda w: {"pk": w.enrollment.team_id},
    "programs/crisis_stabilization/episodes/<int:pk>/<str:action>/": lambda w: {
        "pk": w.episode.pk,
        "action": "contact",
    },
    "programs/crisis_stabilization/episodes/": lambda w: {"pk": w.episode.pk},
    "programs/care/escalations/": lambda w: {"pk": w.escalation.pk},
    "programs/care/api/escalations/": lambda w: {"pk": w.escalation.pk},
    "programs/crisis_stabilization/api/episodes/": lambda w: {"pk": w.episode.pk},
    "api/integrations/eido/calls/": lambda w: {"pk": w.calls["working"].pk},
    "api/integrations/deliveries/": lambda w: {"pk": _delivery(w).pk},
    "fhir/": lambda w: {"pk": w.referral.pk},
    "reports/<slug:name>/<slug:table>.csv": lambda w: {"name": "standards", "table": "breaches"},
    "reports/": lambda w: {"name": "intervals"},
    "api/reports/": lambda w: {"name": "intervals"},
    "programs/mobile_crisis/": lambda w: {"pk": w.follow_up.pk},
    "programs/community_responders/": lambda w: {"pk": w.referral.pk},
    "programs/le_consult/": lambda w: {"pk": w.consult.pk},
}

# ACCESS_MATRIX_DUMP=1 prints what every persona gets today for every route, as lines for EXPECTED.
DUMP = os.environ.get("ACCESS_MATRIX_DUMP") == "1"
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
SCHEMA_PARAM = re.compile(r"\{\w+\}")
HANDLERS = ("get", "post", "put", "patch", "delete")


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def routes() -> dict[str, URLPattern]:
    """Every URL pattern of the project but the Django admin's, keyed by its route."""
    return {route: p for route, p in _walk(get_resolver().url_patterns) if not route.startswith("admin/")}


def view_methods(pattern: URLPattern) -> set[str]:
    """The methods a class-based view handles (empty for a function view: the table says)."""
    cls = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
    if cls is None:
        return set()
    # Django's form views answer PUT as POST (ProcessFormView.put): not a method of their own.
    return {
        m.upper()
        for m in HANDLERS
        if m in cls.http_method_names and hasattr(cls, m) and not (m == "put" and cls.put is ProcessFormView.put)
    }


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (SCHEMA_PARAM.sub("{}", path), method.upper())
        for path, methods in schema["paths"].items()
        for method in methods
        if method.upper() != "OPTIONS"
    }


def _shape(route: str) -> str:
    return "/" + PARAM.sub("{}", route)


def url_for(route: str, world) -> str:
    kwargs = {}
    if PARAM.search(route):
        prefix = max((p for p in PATH_OBJECTS if route.startswith(p)), key=len, default=None)
        assert prefix is not None, (
            f"{route!r} has a path parameter and no object: add to PATH_OBJECTS in {__file__}, e.g.\n"
            f'    "{route}": lambda w: {{"pk": w.<an object of tests/fuzz/conftest.py World>.pk}},'
        )
        kwargs = PATH_OBJECTS[prefix](world)
    return "/" + PARAM.sub(lambda m: str(kwargs[m.group(1)]), route)


def _request(client, method: str, url: str, route: str):
    if "api/" in route:
        return client.generic(method, url, "{}", content_type="application/json")
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, "", content_type="application/x-www-form-urlencoded")


def _got_through(response) -> bool:
    if response.status_code in (401, 403, 404):
        return False
    if response.status_code in (301, 302) and response.get("Location", "").startswith("/login/"):
        return False
    return True


def probe(client, users, route: str, method: str, url: str) -> dict[str, int]:
    """Each persona's status for one request, each in a savepoint rolled back afterwards."""
    statuses = {}
    for persona in PERSONAS:
        with transaction.atomic():
            client.force_login(users[persona])
            statuses[persona] = _request(client, method, url, route)
            transaction.set_rollback(True)
        client.logout()
    return statuses


@pytest.fixture
def personas(world, nora):
    from crisis.models import User
    from dispatch.team_state import team_raise_sos

    world.ids["alert"] = team_raise_sos(team=world.team_a, by=world.users["responder"]).pk
    # The SOS above reached the desk; a second one keeps team A's state for the acknowledge below.
    return {p: User.objects.get(username=p) for p in PERSONAS}


def _suggestion(route: str, observed: dict[str, set[str]]) -> str:
    def cell(who):
        return "frozenset({" + ", ".join(f'"{p}"' for p in sorted(who)) + "})" if who else "NOBODY"

    cells = ", ".join(f'"{m}": {cell(who)}' for m, who in observed.items())
    return f'    "{route}": {{{cells}}},'


@pytest.mark.django_db
def test_every_route_and_operation_has_an_expected_entry(client, world, personas):
    problems = []
    found = routes()
    for route, pattern in found.items():
        entry = None if DUMP else EXPECTED.get(route)
        methods = view_methods(pattern) | (set(EXPECTED.get(route, {})) if DUMP else set())
        missing = sorted(methods - set(entry or {})) if entry else sorted(methods or {"GET"})
        if entry is not None and not missing:
            continue
        observed = {}
        for method in missing:
            try:
                statuses = probe(client, personas, route, method, url_for(route, world))
            except AssertionError as exc:
                problems.append(str(exc))
                break
            observed[method] = {p for p, r in statuses.items() if _got_through(r)}
        else:
            what = (
                "has no entry"
                if entry is None
                else f"has no {', '.join(missing)} in its entry (merge these cells into it)"
            )
            problems.append(
                f"{route!r} ({pattern.lookup_str}) {what} in EXPECTED of tests/crisis/test_access_matrix.py.\n"
                f"  Today these personas get through; add the line after checking it is what the role table intends"
                f" (a function view that takes POST too needs its POST cell by hand):\n{_suggestion(route, observed)}"
            )
    stale = sorted(set(EXPECTED) - set(found))
    if stale:
        problems.append(f"EXPECTED names routes the URLconf no longer has; remove them: {stale}")
    shapes = {_shape(route): route for route in found}
    for path, method in sorted(schema_operations()):
        route = shapes.get(path)
        if route is None:
            problems.append(f"the schema's {method} {path} matches no URL pattern")
        elif method not in EXPECTED.get(route, {}):
            problems.append(f"the schema's {method} {path} has no {method} cell in EXPECTED[{route!r}]")
    assert not problems, "\n\n".join(problems)


def _cases():
    return [(route, method) for route, cells in EXPECTED.items() for method in cells]


@pytest.mark.django_db
@pytest.mark.parametrize("route, method", _cases())
def test_each_persona_gets_exactly_what_the_table_says(client, world, personas, route, method):
    if route not in routes():
        pytest.skip(f"{route} is not in this URLconf (the stale-entry test reports it)")
    url = url_for(route, world)
    allowed = EXPECTED[route][method]
    statuses = probe(client, personas, route, method, url)
    wrong = {}
    for persona, response in statuses.items():
        if response.status_code >= 500:
            wrong[persona] = f"{response.status_code} (a server error)"
        elif persona in allowed and not (_got_through(response) or (route in PUBLIC and response.status_code < 400)):
            wrong[persona] = f"{response.status_code} but the table allows {persona}"
        elif persona not in allowed and response.status_code not in (403, 404):
            wrong[persona] = f"{response.status_code} but the table refuses {persona}: {response.content[:200]!r}"
    assert not wrong, f"{method} {url} ({route}): " + json.dumps(wrong, indent=1)
    # Signed out.
    response = _request(client, method, url, route)
    if route in PUBLIC:
        assert response.status_code < 500
    elif "api/" in route and not response.get("Content-Type", "").startswith("text/html"):
        assert response.status_code in (401, 403), (method, url, response.status_code)
    else:
        assert response.status_code in (302, 401, 403), (method, url, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/login/"), (method, url, response["Location"])
