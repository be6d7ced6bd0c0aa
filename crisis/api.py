from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import permissions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": exc.message}
        if exc.field:
            body = {exc.field: [exc.message], "detail": exc.message}
        if getattr(exc, "reasons", None):
            body["reasons"] = exc.reasons  # NeedsConfirmation: what the user must see before confirming
        return Response(body, status=exc.status_code)
    if isinstance(exc, IntegrityError):
        # The database constraint is the last line of defence against a race.
        return Response(
            {"detail": "Conflict: this change collides with another one. Reload and try again."}, status=409
        )
    if isinstance(exc, DjangoValidationError):
        body = {"detail": exc.messages}
        if hasattr(exc, "error_dict"):
            # A model's own rule (Model.clean) names its field, as a serializer's error does.
            body |= {field: msgs for field, msgs in exc.message_dict.items() if field != "__all__"}
        return Response(body, status=400)
    if isinstance(exc, (DjangoPermissionDenied,)):
        return Response({"detail": str(exc) or "Permission denied."}, status=403)
    if isinstance(exc, Http404):
        return Response({"detail": "Not found."}, status=404)
    return drf_exception_handler(exc, context)


def require_perms(*perms: str):
    """A DRF permission class requiring all of the given Django permissions."""

    class _HasPerms(permissions.BasePermission):
        message = "Your role does not allow this."

        def has_permission(self, request, view):
            user = request.user
            return bool(user and user.is_authenticated and user.has_perms(perms))

    _HasPerms.__name__ = "HasPerms_" + "_".join(p.replace(".", "_") for p in perms)
    return _HasPerms


def require_any_perm(*perms: str):
    """A DRF permission class requiring at least one of the given Django permissions."""

    class _HasAnyPerm(permissions.BasePermission):
        message = "Your role does not allow this."

        def has_permission(self, request, view):
            user = request.user
            return bool(user and user.is_authenticated and any(user.has_perm(p) for p in perms))

    _HasAnyPerm.__name__ = "HasAnyPerm_" + "_".join(p.replace(".", "_") for p in perms)
    return _HasAnyPerm


# The schema and the interactive docs describe the call desk's API, for the roles that integrate with it
# (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); responders and officers use it only through their pages.
CanReadApiDocs = require_perms("dispatch.view_call")


class Pagination(LimitOffsetPagination):
    # Without a ceiling, ?limit=99999999999999999999 reaches the database as an out-of-range LIMIT.
    max_limit = 1000


def document_idempotency_key(result, generator, request, public):
    """drf-spectacular post-processing hook: every API write accepts an Idempotency-Key (crisis/idempotency.py)."""
    from .idempotency import HEADER, MAX_KEY_LENGTH, WRITE_METHODS

    parameter = {
        "in": "header",
        "name": HEADER,
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]+$"},
        "description": "A new key (e.g. a UUID) per action, the same key on each retry of it: a repeated key "
        "replays the first answer (header Idempotent-Replayed: true) without changing anything again; the same key "
        "with a different request is a 422. Kept 24 hours.",
    }
    # The schema holds only DRF views, and the middleware keys every DRF write (/api/, /fhir/, programs' APIs).
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method.upper() in WRITE_METHODS:
                operation.setdefault("parameters", []).append(dict(parameter))
    return result


def require_rule(predicate, message: str = "Your role does not allow this."):
    """A DRF permission class from a crisis.permissions predicate tested on the user alone."""

    class _Rule(permissions.BasePermission):
        def has_permission(self, request, view):
            user = request.user
            return bool(user and user.is_authenticated and predicate.test(user))

    _Rule.message = message
    _Rule.__name__ = f"Rule_{getattr(predicate, 'name', 'predicate')}"
    return _Rule
