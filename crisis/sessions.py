"""Database sessions that ignore a session cookie Django could not have issued.

A forged cookie with a NUL byte (sessionid=a%00b...) would reach PostgreSQL, which cannot compare it: a 500
on every page. Django's own keys use only VALID_KEY_CHARS; anything else is treated as no session.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore

_VALID = frozenset(VALID_KEY_CHARS)


class SessionStore(DbSessionStore):
    def _validate_session_key(self, key):
        return super()._validate_session_key(key) and _VALID.issuperset(key)
