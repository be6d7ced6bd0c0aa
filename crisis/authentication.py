"""API authentication. Its own module: DRF imports it while rest_framework.views is still loading."""

import functools

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import CharField, OuterRef, Q, Value
from django.db.models.functions import Concat
from rest_framework import authentication, exceptions

from .sql import CompiledOne


def role_permissions(user, role):
    """The permissions `role` gives while `user` holds it, as "app_label.codename": none once the role is taken
    away. `user` and `role` may be OuterRefs: the token's read takes them as a subquery (PostgreSQL)."""
    return (
        Permission.objects.filter(group__user=user, group__name=role)
        .annotate(perm=Concat("content_type__app_label", Value("."), "codename", output_field=CharField()))
        .values_list("perm", flat=True)
        .order_by()
        .distinct()
    )


@functools.cache
def _token_with_permissions() -> CompiledOne:
    """The token's read: its user and, on PostgreSQL, its role's permissions in the same statement (one round
    trip of an API request's two before its work; RoleBackend then has its answer without a query of its own),
    compiled once per process (building the query cost more than running it)."""
    from .models import ApiToken

    def build(digest):
        tokens = ApiToken.objects.select_related("user").filter(digest=digest)
        if connection.vendor != "postgresql":
            return tokens
        from django.contrib.postgres.expressions import ArraySubquery

        return tokens.annotate(role_permissions=ArraySubquery(role_permissions(OuterRef("user_id"), OuterRef("role"))))

    return CompiledOne(ApiToken, build)


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, as before, checked against crisis.ApiToken's digests (crisis.tokens).

    Unknown, expired, or a deactivated user's: 401. The user is marked with the token's role, so that
    RoleBackend answers with that role's permissions only.
    """

    def authenticate(self, request):
        # The idempotency middleware already read this request's token (to own its key): same header, same
        # answer. `request` here is DRF's wrapper; the middleware saw Django's request underneath it.
        found = getattr(getattr(request, "_request", request), "_crisis_token_auth", None)
        if found is not None:
            return found
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        from .tokens import api_token_find

        token = api_token_find(key, load=_token_with_permissions().get)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        user = token.user
        user.api_token_role = token.role
        if hasattr(token, "role_permissions"):
            user._perm_cache = set(token.role_permissions)
        return user, token


class RoleBackend(ModelBackend):
    """Django's ModelBackend, reading a user's own and role (group) permissions in one query, not two.

    Every API request asks `has_perm` at least once; ModelBackend answers its first question with one
    query for the user's permissions and one for the groups', on every request. The answer and its
    per-request cache (`_perm_cache`, which Django's own code clears) are the same.

    A user signed in by an API token has only the permissions of the token's role that they still hold:
    a token issued to a dispatcher does not open the admin's endpoints after they become an administrator,
    and opens nothing once they lose the role.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            token_role = getattr(user_obj, "api_token_role", None)
            if token_role is not None:
                user_obj._perm_cache = set(role_permissions(user_obj, token_role))
                return user_obj._perm_cache
            perms = Permission.objects.all()
            if not user_obj.is_superuser:
                perms = perms.filter(Q(user=user_obj) | Q(group__user=user_obj))
            rows = perms.values_list("content_type__app_label", "codename").order_by().distinct()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._perm_cache
