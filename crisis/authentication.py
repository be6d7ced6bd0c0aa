"""API authentication. Its own module: DRF imports it while rest_framework.views is still loading."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing a key PostgreSQL cannot even compare (a NUL byte) with a 401."""

    def authenticate(self, request):
        # The idempotency middleware already read this request's token (to own its key): same header, same
        # answer. `request` here is DRF's wrapper; the middleware saw Django's request underneath it.
        found = getattr(getattr(request, "_request", request), "_crisis_token_auth", None)
        if found is not None:
            return found
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        if "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)


class RoleBackend(ModelBackend):
    """Django's ModelBackend, reading a user's own and role (group) permissions in one query, not two.

    Every API request asks `has_perm` at least once; ModelBackend answers its first question with one
    query for the user's permissions and one for the groups', on every request. The answer and its
    per-request cache (`_perm_cache`, which Django's own code clears) are the same.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            perms = Permission.objects.all()
            if not user_obj.is_superuser:
                perms = perms.filter(Q(user=user_obj) | Q(group__user=user_obj))
            rows = perms.values_list("content_type__app_label", "codename").order_by().distinct()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._perm_cache
