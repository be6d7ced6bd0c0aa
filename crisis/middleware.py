import ipaddress

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

NUL_IN_QUERY = "A query parameter contains a NUL character (%00)."


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page requires sign-in by default (Django 5.1's middleware).

    The API is left to DRF, which answers 401/403 in JSON instead of a
    redirect and also accepts token authentication for integrations.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def client_ip(request) -> str | None:
    """The client's address for the audit trail and the login lockout.

    X-Forwarded-For is whatever the client wrote, except for the entries our own proxies appended: with
    TRUSTED_PROXY_COUNT = n, the n-th entry from the right is the address the outermost proxy saw. With no
    trusted proxy (the default) the header is ignored, so no one can audit themselves as someone else.
    """
    return _believed_address(request.META.get("REMOTE_ADDR") or None, request.META.get("HTTP_X_FORWARDED_FOR", ""))


def scope_ip(scope) -> str | None:
    """`client_ip` for a websocket's ASGI scope: the same rule, so a socket is audited from the same address."""
    client = scope.get("client") or (None,)
    forwarded = b",".join(v for k, v in scope.get("headers") or () if k.lower() == b"x-forwarded-for")
    return _believed_address(client[0] or None, forwarded.decode("latin-1"))


def _believed_address(remote: str | None, forwarded_for: str) -> str | None:
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


class AuditContextMiddleware:
    """Makes the client's address available to crisis.audit.record."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .audit import current_ip, current_request

        token = current_ip.set(client_ip(request))
        request_token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(request_token)
            current_ip.reset(token)


class RejectNulQueryMiddleware:
    """A NUL character in a query parameter is a 400 on every page and endpoint.

    PostgreSQL text cannot hold NUL: a filter (?region=%00) or an audited purpose (?purpose=%00) would fail
    as a 500 deep in a query or an audit entry, and no honest client sends one. Forms and serializers
    already refuse NUL in bodies (Django's and DRF's ProhibitNullCharactersValidator).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": NUL_IN_QUERY}, status=400)
            return HttpResponseBadRequest(NUL_IN_QUERY)
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Idle logoff: each request the user makes stamps the session; crisis.sessions ends a stale one.

    Requests a page makes by itself (the live snapshot after a reconnect, the phone's periodic position)
    send X-Idle-Passive and do not count as activity. A page request that arrives after the session went
    idle is sent to the sign-in page, which says why.
    """

    PASSIVE_HEADER = "HTTP_X_IDLE_PASSIVE"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        session.get(SESSION_KEY)  # loads the session now: an idle one comes back empty and says so
        if getattr(session, "idle_expired", False) and not request.path_info.startswith("/api/"):
            if request.method == "GET" and request.path_info != reverse("login"):
                query = urlencode({"idle": "1", "next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('login')}?{query}")
        response = self.get_response(request)
        # After the view: a sign-in has just put the user in the session, a sign-out has just taken them out.
        # Token-authenticated requests have no session user and create no session.
        if SESSION_KEY in request.session and not request.META.get(self.PASSIVE_HEADER):
            request.session.mark_active()
        return response


class MfaRequiredMiddleware:
    """A signed-in user who must use two-step sign-in (crisis/mfa.py) reaches nothing else until they have.

    Pages redirect to /mfa/ (enrolment the first time); the API answers 403 in JSON. Requests signed with an
    API token are not session sign-ins and pass (DRF authenticates them later). The sign-in and sign-out pages,
    the two-step pages themselves, static files and the health check are open.
    """

    OPEN = ("/mfa/", "/login/", "/logout/", "/healthz/", "/static/", "/admin/login/", "/admin/logout/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .mfa import mfa_required_for

        user = request.user
        if mfa_required_for(user) and not user.is_verified() and not request.path_info.startswith(self.OPEN):
            if "/api/" in request.path_info:
                return JsonResponse({"detail": MFA_NEEDED}, status=403)
            return HttpResponseRedirect(f"{reverse('mfa')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


MFA_NEEDED = "Two-step sign-in is required: open the site in a browser, sign in and enter your code."


class PasswordChangeMiddleware:
    """A session whose user must choose a new password first (crisis/passwords.py) reaches nothing else.

    Decided at sign-in and kept in the session, so this costs no query. Pages redirect to /password/; the API
    answers 403 in JSON; token requests are not session sign-ins and pass, as with two-step sign-in.
    """

    OPEN = ("/password/", "/mfa/", "/login/", "/logout/", "/healthz/", "/static/", "/admin/login/", "/admin/logout/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .passwords import SESSION_KEY

        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(SESSION_KEY)
            and request.user.is_authenticated
            and not request.path_info.startswith(self.OPEN)
        ):
            if "/api/" in request.path_info:
                return JsonResponse({"detail": PASSWORD_CHANGE_NEEDED}, status=403)
            return HttpResponseRedirect(reverse("password-change"))
        return self.get_response(request)


PASSWORD_CHANGE_NEEDED = "Choose a new password first: open the site in a browser and sign in."  # noqa: S105 (a message)


class IdempotencyMiddleware:
    """API writes sent with an Idempotency-Key run at most once per user and key (crisis/idempotency.py).

    "API" is every DRF view, wherever it is mounted: /api/ and /api/integrations/, /fhir/, and each program's
    /programs/<app>/api/... (programs plug in their URLs, so a prefix list would miss the next one). Page
    forms are not covered: a browser resubmission is a new request, refused by the service's own checks.

    Sits after the session and authentication middleware: the key belongs to the requester, who is the
    token's user (DRF tries the token first, as here) or the session's. A request we cannot attribute goes to
    the view untouched, which refuses it (401/403) without writing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from . import idempotency

        if request.method not in idempotency.WRITE_METHODS or not _is_api_view(request):
            return self.get_response(request)
        key = request.headers.get(idempotency.HEADER)
        if key is None:
            return idempotency.run_atomically(request, respond=self.get_response)
        problem = idempotency.key_problem(key)
        if problem:
            return JsonResponse({"detail": problem}, status=400)
        user = _api_requester(request)
        if user is None:
            return self.get_response(request)
        try:
            request.body  # noqa: B018 - read now (size-checked) to fingerprint it; DRF parses the cached copy
        except RequestDataTooBig:
            return JsonResponse({"detail": "The request body is too large."}, status=400)
        return idempotency.run_once(request, user=user, key=key, respond=self.get_response)


def _is_api_view(request) -> bool:
    """Whether the request goes to a DRF view (resolved as the handler will; an unknown path is not)."""
    from rest_framework.views import APIView

    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    cls = getattr(match.func, "cls", None)  # as_view() keeps the class; login_not_required keeps the function
    return isinstance(cls, type) and issubclass(cls, APIView)


def _api_requester(request):
    from rest_framework.exceptions import AuthenticationFailed

    from .authentication import TokenAuthentication

    try:
        found = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    if found is not None:
        # DRF authenticates the same header again in the view: it takes this answer (no second token query).
        request._crisis_token_auth = found
        return found[0]
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None
