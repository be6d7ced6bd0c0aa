"""API authentication. Its own module: DRF imports it while rest_framework.views is still loading."""

from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing a key PostgreSQL cannot even compare (a NUL byte) with a 401."""

    def authenticate_credentials(self, key):
        if "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
