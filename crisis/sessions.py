"""Database sessions that end after SESSION_IDLE_SECONDS without activity, and ignore forged keys.

Idle logoff (CJIS 5.5.5, HIPAA 164.312(a)(2)(iii)): crisis.middleware.IdleTimeoutMiddleware stamps the
session with the time of the user's last request; a session whose stamp is older than SESSION_IDLE_SECONDS
loads as empty and its row is deleted, exactly as Django treats a session past its absolute expiry
(SESSION_COOKIE_AGE, which still applies). Because the check lives in the store, every reader of a
session enforces it: the pages, the API and the websocket's periodic session check alike.

A forged cookie with a NUL byte (sessionid=a%00b...) would reach PostgreSQL, which cannot compare it: a 500
on every page. Django's own keys use only VALID_KEY_CHARS; anything else is treated as no session.
"""

import time

from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore

_VALID = frozenset(VALID_KEY_CHARS)
ACTIVE_AT = "_crisis_active_at"


def clock() -> float:
    return time.time()


def touch_interval() -> int:
    # Writing the stamp on every request would write the session row on every request.
    return min(30, settings.SESSION_IDLE_SECONDS // 4)


class SessionStore(DbSessionStore):
    idle_expired = False

    def _validate_session_key(self, key):
        return super()._validate_session_key(key) and _VALID.issuperset(key)

    def load(self):
        data = super().load()
        idle_limit = settings.SESSION_IDLE_SECONDS
        active_at = data.get(ACTIVE_AT)
        if idle_limit > 0 and active_at is not None and clock() - active_at > idle_limit:
            self.idle_expired = True
            self.delete()
            self._session_key = None
            return {}
        return data

    def mark_active(self, *, force: bool = False) -> None:
        now = clock()
        if force or now - self.get(ACTIVE_AT, 0) >= touch_interval():
            self[ACTIVE_AT] = now


def mark_active_on_login(sender, request=None, user=None, **kwargs):
    """Signing in is activity: stamp the new session at once (user_logged_in), not on the next request."""
    session = getattr(request, "session", None)
    if hasattr(session, "mark_active"):
        session.mark_active(force=True)
