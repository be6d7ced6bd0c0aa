"""One settings module for every deployment, driven by environment variables.

The defaults give the embedded mode (`make run`): SQLite, an in-memory channel
layer and a Celery worker on Kombu's filesystem transport, so nothing but
Python is needed. Setting DATABASE_URL / REDIS_URL switches to PostgreSQL,
channels-redis and a Redis broker. A malformed value fails loudly at start-up
rather than silently falling back (healthchecks' envbool does the same).
"""

import json
import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CRISIS_VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def envfloat(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from exc


def envchoice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


# The test suite runs with eager tasks by default; tests that need a real
# worker start one and say so (pytest marker celery_worker).
TESTING = envbool("CRISIS_TESTING", "0") or "pytest" in sys.modules
DEBUG = envbool("DEBUG", "0")
# Production unless this is the embedded demo (http on 127.0.0.1), the test suite or a debug run: the
# transport settings below (HTTPS only, secure cookies, HSTS) default on in production only.
PRODUCTION = not (DEBUG or TESTING or envbool("CRISIS_EMBEDDED", "0"))
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not PRODUCTION:
        # Only the embedded demo and the test suite may run without a secret.
        SECRET_KEY = "insecure-embedded-only-key-do-not-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set (or run with DEBUG=1 / CRISIS_EMBEDDED=1).")

# Two-step sign-in (crisis/mfa.py) for every user with a role and for staff. On in production; off by default
# in the embedded demo (`make run`), a debug run and the test suite, whose tests sign in with force_login
# (tests/support/mfa.py turns it on and signs in verified). MFA_REQUIRED=1 turns it on anywhere.
MFA_REQUIRED = envbool("MFA_REQUIRED", "1" if PRODUCTION else "0")
OTP_TOTP_ISSUER = "Crisis dispatch"

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
# How many reverse proxies of ours stand in front of the app. 0 (the default): X-Forwarded-For and
# X-Forwarded-Proto are whatever the client wrote, and are ignored (crisis.middleware.client_ip).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "rules",
    "axes",
    "csp",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "crisis",
    "crisis.history",
    "crisis.geo",
    "programs",
    "programs.mobile_crisis",
    "programs.community_responders",
    "programs.fact",
    "programs.homeless_outreach",
    "programs.crisis_stabilization",
    "programs.le_consult",
    "programs.diversion",
    "responders",
    "dispatch",
    "reports",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "crisis.middleware.RejectNulQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "crisis.middleware.IdleTimeoutMiddleware",
    "crisis.middleware.LoginRequiredMiddleware",
    "crisis.middleware.MfaRequiredMiddleware",
    "crisis.middleware.PasswordChangeMiddleware",
    "crisis.middleware.AuditContextMiddleware",
    # API writes with an Idempotency-Key run once; after authentication (the key is the requester's).
    "crisis.middleware.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a lockout into the sign-in page's locked-out answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crisis.urls"
WSGI_APPLICATION = "crisis.wsgi.application"
ASGI_APPLICATION = "crisis.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crisis.context_processors.roles",
                "crisis.context_processors.session_idle",
                "programs.context_processors.program_links",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # A connection per request cost a PostgreSQL backend start (TLS, auth, a process) on every POST. Under
    # ASGI each request's sync code runs in a thread of its own, where CONN_MAX_AGE connections are never
    # reused, so the default is Django's psycopg pool (checked before each lending, so a restarted server
    # costs one failed check, not a failed request). DB_POOL=0 falls back to DB_CONN_MAX_AGE + health checks.
    DB_POOL = envbool("DB_POOL", "0" if TESTING else "1")
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=0 if DB_POOL else envint("DB_CONN_MAX_AGE", 0), conn_health_checks=True
        )
    }
    if DB_POOL:
        # With CONN_HEALTH_CHECKS Django gives the pool psycopg_pool's check_connection.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": envint("DB_POOL_MIN_SIZE", 2),
            "max_size": envint("DB_POOL_MAX_SIZE", 16),
            "timeout": envfloat("DB_POOL_TIMEOUT", 10.0),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "crisis.sqlite3",
            "OPTIONS": {
                # The embedded worker and web server write from several threads:
                # IMMEDIATE transactions serialise writers instead of failing
                # with "database is locked" on upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": VAR_DIR / "test-crisis.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "crisis.User"
# Row-level rules (crisis/permissions.py) answer object permissions; the role table answers the rest.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not one of the user's last PASSWORD_HISTORY_COUNT passwords; also keeps that history (crisis/passwords.py).
    {"NAME": "crisis.passwords.HistoryValidator"},
]
# CJIS 5.6.2.1.1: not identical to the previous ten passwords.
PASSWORD_HISTORY_COUNT = envint("PASSWORD_HISTORY_COUNT", 10)
# Days a password lasts before the next sign-in must change it; 0 = never. NIST SP 800-63B 5.1.1.2 advises against
# periodic expiry (people then choose weaker, predictable passwords); CJIS policies before v5.9.2 ask for 90 days.
# Off by default, as NIST advises: docs/security.md says why and when to set 90.
PASSWORD_MAX_AGE_DAYS = envint("PASSWORD_MAX_AGE_DAYS", 0)
if TESTING:
    # Hashing personas' passwords with PBKDF2 would dominate the suite's time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Then: refuses an address that failed too often across usernames (password spraying).
    "crisis.login_audit.SprayingBackend",
    # Row-level rules (crisis/permissions.py) answer object permissions; the role table answers the rest.
    "rules.permissions.ObjectPermissionBackend",
    # ModelBackend with one query instead of two for a user's permissions (crisis/authentication.py).
    "crisis.authentication.RoleBackend",
]
# Login lockout (django-axes). CJIS 5.5.3: lock after at most 5 consecutive failed attempts, for at least
# 10 minutes. Counted per username (not per address: a dispatch centre signs in from one NAT address, and
# one person's typos must not lock out the room); a successful sign-in resets the count.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(seconds=envint("LOGIN_COOLOFF_SECONDS", 600))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Password spraying: failures from one address over all usernames (crisis.login_audit.SprayingBackend).
LOGIN_IP_FAILURE_LIMIT = envint("LOGIN_IP_FAILURE_LIMIT", 30)
LOGIN_IP_WINDOW = timedelta(seconds=envint("LOGIN_IP_WINDOW_SECONDS", 900))
# axes.W006 asks for the address in the lockout parameters; here that would let five typos from one
# dispatch floor lock the whole floor out. Per-username lockout is what CJIS asks for; spraying one
# password over many usernames is not throttled yet (docs/security.md, what remains).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "crisis.views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "crisis.middleware.client_ip"
AXES_USERNAME_CALLABLE = "crisis.login_audit.axes_username"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_ENGINE = "crisis.sessions"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 3600)  # one dispatch shift
# Idle logoff (crisis.sessions): signed out after this long without a request the user made; 0 turns it off.
# The absolute limit above still ends every session after a shift.
SESSION_IDLE_SECONDS = envint("SESSION_IDLE_SECONDS", 30 * 60)
# API tokens (crisis.tokens) are refused this many days after they are issued; a partner's is rotated in the admin.
API_TOKEN_LIFETIME_DAYS = envint("API_TOKEN_LIFETIME_DAYS", 90)
if API_TOKEN_LIFETIME_DAYS < 1:
    raise ImproperlyConfigured(f"API_TOKEN_LIFETIME_DAYS must be at least 1, got {API_TOKEN_LIFETIME_DAYS}")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "1" if PRODUCTION else "0")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Transport and headers ------------------------------------------------------
# HIPAA 164.312(e)(1), CJIS 5.10.1.2: health and criminal-justice information only over TLS. Behind a
# TLS-terminating proxy, set TRUSTED_PROXY_COUNT so that X-Forwarded-Proto is believed.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1" if PRODUCTION else "0")
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]  # the container health check speaks plain http to itself
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "1")
SECURE_CONTENT_TYPE_NOSNIFF = True
# The origin only, never the path, to other sites (the map's tile server asks for a referrer).
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Redis, channels and Celery -------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
EMBEDDED = not REDIS_URL

# How long one realtime Redis command (numbering an event, publishing it, reading a board's position) may wait,
# connecting or answering. Publishes run after commit but before the response leaves, so a paused Redis (no
# answer, no refusal) held every request that changed something for as long as it stayed paused.
REALTIME_REDIS_TIMEOUT = envfloat("REALTIME_REDIS_TIMEOUT", 1.0)
if not 0 < REALTIME_REDIS_TIMEOUT <= 30:
    raise ImproperlyConfigured(
        f"REALTIME_REDIS_TIMEOUT must be more than 0 and at most 30 s, got {REALTIME_REDIS_TIMEOUT}"
    )

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "crisis.channel_layer.PubSubChannelLayer",
            "CONFIG": {
                # The subscriber's reads pass their own short timeout (channels_redis polls every 0.1 s), so
                # socket_timeout bounds only commands: a publish, a subscribe.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": REALTIME_REDIS_TIMEOUT,
                        "socket_connect_timeout": REALTIME_REDIS_TIMEOUT,
                    }
                ],
                "prefix": os.environ.get("CHANNEL_PREFIX", "crisis"),
            },
        }
    }
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
    # With late acks, Redis hands an unacknowledged message (its worker died
    # outright) to another worker after this long; it must exceed the longest
    # countdown we schedule (the offer timeout). The periodic sweep covers the gap.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 600)}
    # Kombu's Redis transport with the fix that keeps a worker alive across a Redis restart
    # (see crisis/broker.py for the cause).
    CELERY_BROKER_TRANSPORT = "crisis.broker:Transport"
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    _broker_dir = VAR_DIR / "broker"
    for sub in ("out", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost/")
    # Kombu's filesystem transport with an atomic write (a half-written message stopped the server; crisis/broker.py).
    CELERY_BROKER_TRANSPORT = "crisis.broker:FilesystemTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
        # Kombu's filesystem transport looks for new messages once a second by default: a second between
        # a triage and its offer on the board in `make run`. Listing an empty folder 20 times a second
        # costs nothing noticeable.
        "polling_interval": envfloat("EMBEDDED_BROKER_POLL_SECONDS", 0.05),
    }

CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "1" if TESTING else "0")
CELERY_TASK_EAGER_PROPAGATES = True
# Celery's Django fixup closes the worker's database connection (with a pool: the whole pool) around every
# task unless told to reuse it: a new PostgreSQL session per routing run. Reuse it for this many tasks
# (then recycle); Django's own health check and the pool's check replace a connection that broke.
CELERY_DB_REUSE_MAX = envint("CELERY_DB_REUSE_MAX", 500)
# A routing message must never be lost with a dying worker: acknowledge only
# after the task ran, re-queue when the worker is lost, take one at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Dispatch behaviour --------------------------------------------------------
ROUTING_MODE = envchoice("ROUTING_MODE", "auto", ("auto", "recommend"))
# For the fault suite only (tests/faults/run.py, worker_kill9): a routing run that made offers holds its
# transaction open this long before COMMIT, logging the calls, so a kill -9 provably lands inside it. 0 = off.
FAULT_ROUTING_HOLD_SECONDS = envfloat("FAULT_ROUTING_HOLD_SECONDS", 0.0)
if not 0 <= FAULT_ROUTING_HOLD_SECONDS <= 60:
    raise ImproperlyConfigured(f"FAULT_ROUTING_HOLD_SECONDS must be 0 to 60, got {FAULT_ROUTING_HOLD_SECONDS}")
OFFER_TIMEOUT_SECONDS = envint("OFFER_TIMEOUT_SECONDS", 60)
UNROUTED_FLAG_SECONDS = envint("UNROUTED_FLAG_SECONDS", 300)
SWEEP_INTERVAL_SECONDS = envint("SWEEP_INTERVAL_SECONDS", 15)
# A team that declined a call, let its offer lapse or was withdrawn from it is asked again after this
# (a lapsed team at once when no other eligible team is free); dispatch/reoffer.py holds the policy.
REOFFER_COOLDOWN_SECONDS = envint("REOFFER_COOLDOWN_SECONDS", 120)
if REOFFER_COOLDOWN_SECONDS < 0:
    raise ImproperlyConfigured(f"REOFFER_COOLDOWN_SECONDS must be 0 or more, got {REOFFER_COOLDOWN_SECONDS}")
# This many declined or lapsed offers of one call escalate it to the dispatch desk and supervisors.
REOFFER_ESCALATE_AFTER = envint("REOFFER_ESCALATE_AFTER", 3)
if REOFFER_ESCALATE_AFTER < 1:
    raise ImproperlyConfigured(f"REOFFER_ESCALATE_AFTER must be 1 or more, got {REOFFER_ESCALATE_AFTER}")
LOCATION_STALE_SECONDS = envint("LOCATION_STALE_SECONDS", 300)
# Let routing hold a non-urgent call for a busy team expected to clear and arrive clearly sooner than any free
# team (dispatch/routing.py, "Holding"). Off: by default no call waits while an eligible team is free.
ROUTING_HOLD_FOR_CLEARING_TEAM = envbool("ROUTING_HOLD_FOR_CLEARING_TEAM", "0")
# The language pick list (crisis/languages.py): "code:Name,code:Name" replaces the default US list. Codes are ISO
# 639 (2-3 lowercase letters); English must stay on it (the language no call needs an interpreter for).
_languages_raw = os.environ.get("CRISIS_LANGUAGES", "").strip()
CRISIS_LANGUAGES: list[tuple[str, str]] | None = None
if _languages_raw:
    CRISIS_LANGUAGES = []
    for _item in _languages_raw.split(","):
        _code, _, _name = _item.strip().partition(":")
        if not re.fullmatch(r"[a-z]{2,3}", _code.strip()) or not _name.strip():
            raise ImproperlyConfigured(f"CRISIS_LANGUAGES items must be code:Name (ISO 639), got {_item!r}")
        CRISIS_LANGUAGES.append((_code.strip(), _name.strip()))
    if "en" not in {code for code, _ in CRISIS_LANGUAGES}:
        raise ImproperlyConfigured("CRISIS_LANGUAGES must include en (English).")
# Said to the team when no free team speaks the caller's language (the call goes with an interpreter line).
INTERPRETER_LINE = os.environ.get("INTERPRETER_LINE", "").strip()
# What sounds the board's alarm (static/js/alarm.js): a new P1 call, an SOS, a call flagged unrouted.
# Comma-separated; empty turns the sound and flash off for every desk (a desk can also mute itself).
BOARD_ALARM_KINDS = ("p1", "sos", "unrouted")
BOARD_ALARM_EVENTS = [e.strip() for e in os.environ.get("BOARD_ALARM_EVENTS", ",".join(BOARD_ALARM_KINDS)).split(",")]
BOARD_ALARM_EVENTS = [e for e in BOARD_ALARM_EVENTS if e]
if set(BOARD_ALARM_EVENTS) - set(BOARD_ALARM_KINDS):
    raise ImproperlyConfigured(
        f"BOARD_ALARM_EVENTS must list some of {', '.join(BOARD_ALARM_KINDS)}, "
        f"got {os.environ.get('BOARD_ALARM_EVENTS')!r}"
    )
# Web Push of offers to the team members' phones (dispatch/push.py). VAPID keys from the environment: the
# public and private key (base64url, as `manage.py webpush_keys` prints them) and a contact (mailto: or
# https:). All three or none: without them Web Push is off and the worker says so once in its log.
WEBPUSH_VAPID_PUBLIC_KEY = os.environ.get("WEBPUSH_VAPID_PUBLIC_KEY", "").strip()
WEBPUSH_VAPID_PRIVATE_KEY = os.environ.get("WEBPUSH_VAPID_PRIVATE_KEY", "").strip()
WEBPUSH_VAPID_SUBJECT = os.environ.get("WEBPUSH_VAPID_SUBJECT", "").strip()
_webpush = (WEBPUSH_VAPID_PUBLIC_KEY, WEBPUSH_VAPID_PRIVATE_KEY, WEBPUSH_VAPID_SUBJECT)
if any(_webpush) and not all(_webpush):
    raise ImproperlyConfigured(
        "Set all of WEBPUSH_VAPID_PUBLIC_KEY, WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_SUBJECT, or none."
    )
if WEBPUSH_VAPID_SUBJECT and not WEBPUSH_VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured(f"WEBPUSH_VAPID_SUBJECT must be a mailto: or https: URL, got {WEBPUSH_VAPID_SUBJECT!r}")
# The server posts to a subscription's endpoint, an address a browser gave: only to these push services
# (a leading "*." matches any subdomain), over https, so a subscription cannot aim the server elsewhere.
WEBPUSH_ENDPOINT_HOSTS = [
    h.strip().lower()
    for h in os.environ.get(
        "WEBPUSH_ENDPOINT_HOSTS",
        "fcm.googleapis.com,updates.push.services.mozilla.com,*.push.services.mozilla.com,"
        "*.push.apple.com,*.notify.windows.com",
    ).split(",")
    if h.strip()
]
WEBPUSH_ALLOW_HTTP = envbool("WEBPUSH_ALLOW_HTTP", "0")


# Police/EMS hand-off (dispatch/handoffs.py): where to tell each partner agency of a call it must take (an
# HTTP POST of JSON, from the worker after commit, retried). Unset: that agency is phoned, the log says so.
# HANDOFF_HOOK_SECRET, when set, signs each body (X-Crisis-Signature: sha256=<HMAC>) for the receiver to check.
def _hook_url(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if value and urlsplit(value).scheme not in ("http", "https"):
        raise ImproperlyConfigured(f"{name} must be an http(s) URL, got {value!r}")
    return value


HANDOFF_HOOK_URLS = {"police": _hook_url("HANDOFF_POLICE_URL"), "ems": _hook_url("HANDOFF_EMS_URL")}
HANDOFF_HOOK_SECRET = os.environ.get("HANDOFF_HOOK_SECRET", "")
HANDOFF_HOOK_TIMEOUT_SECONDS = envfloat("HANDOFF_HOOK_TIMEOUT_SECONDS", 5.0)
# Intake warns of a possible duplicate: a call received this many minutes back at the same address or from the
# same callback number (dispatch.selectors.possible_duplicates).
DUPLICATE_WINDOW_MINUTES = envint("DUPLICATE_WINDOW_MINUTES", 30)
if DUPLICATE_WINDOW_MINUTES < 0:
    raise ImproperlyConfigured(f"DUPLICATE_WINDOW_MINUTES must be 0 or more, got {DUPLICATE_WINDOW_MINUTES}")
# An SOS nobody has acknowledged sounds again this often (0: once only).
BOARD_ALARM_SOS_REPEAT_SECONDS = envint("BOARD_ALARM_SOS_REPEAT_SECONDS", 20)
if BOARD_ALARM_SOS_REPEAT_SECONDS < 0:
    raise ImproperlyConfigured(
        f"BOARD_ALARM_SOS_REPEAT_SECONDS must be 0 or more, got {BOARD_ALARM_SOS_REPEAT_SECONDS}"
    )
ROUTING_ROAD_FACTOR = envfloat("ROUTING_ROAD_FACTOR", 1.3)
ROUTING_AVERAGE_SPEED_KMH = envfloat("ROUTING_AVERAGE_SPEED_KMH", 40.0)
RESPONDER_LOCATION_INTERVAL_SECONDS = envint("RESPONDER_LOCATION_INTERVAL_SECONDS", 30)
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")

# Content Security Policy (django-csp): scripts, styles and everything else from this origin only; no
# inline script or style attribute anywhere (templates carry data in data-* attributes and json_script).
# The map's tiles are the one outside source, from MAP_TILE_URL's origin.
_tiles = urlsplit(MAP_TILE_URL.replace("{s}.", "*."))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"] + ([f"{_tiles.scheme}://{_tiles.netloc}"] if _tiles.netloc else []),
        "font-src": ["'self'"],
        # 'self' covers the same-origin websocket (ws:/wss:) in CSP level 3.
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}
# Where the board's map opens before it has calls or teams to fit.
MAP_CENTER = (envfloat("MAP_CENTER_LAT", 41.8781), envfloat("MAP_CENTER_LON", -87.6298))

# Address lookup (crisis/geo/geocoder.py): `local` searches the embedded address table (`manage.py load_addresses`),
# offline; `nominatim` or `pelias` ask the service at GEOCODER_URL, each request given GEOCODER_TIMEOUT_SECONDS.
GEOCODER_KIND = envchoice("GEOCODER_KIND", "local", ("local", "nominatim", "pelias"))
GEOCODER_URL = os.environ.get("GEOCODER_URL", "").strip()
GEOCODER_TIMEOUT_SECONDS = envfloat("GEOCODER_TIMEOUT_SECONDS", 3.0)
# Nominatim's usage policy asks every client to name itself.
GEOCODER_USER_AGENT = os.environ.get("GEOCODER_USER_AGENT", "crisis-dispatch/1 (address lookup)")
if GEOCODER_KIND != "local" and urlsplit(GEOCODER_URL).scheme not in ("http", "https"):
    raise ImproperlyConfigured(
        f"GEOCODER_KIND={GEOCODER_KIND} needs GEOCODER_URL, an http(s) URL; got {GEOCODER_URL!r}"
    )
if not 0 < GEOCODER_TIMEOUT_SECONDS <= 30:
    raise ImproperlyConfigured(
        f"GEOCODER_TIMEOUT_SECONDS must be above 0 and at most 30, got {GEOCODER_TIMEOUT_SECONDS}"
    )

# Follow-up after a field response is due this many hours after the team arrived (programs: 24-72 h).
FOLLOW_UP_DUE_HOURS = envint("FOLLOW_UP_DUE_HOURS", 48)
if not 24 <= FOLLOW_UP_DUE_HOURS <= 72:
    raise ImproperlyConfigured(f"FOLLOW_UP_DUE_HOURS must be between 24 and 72, got {FOLLOW_UP_DUE_HOURS}")

# An officer's consult unanswered this long goes to the backup clinician and the supervisors.
CONSULT_ESCALATE_SECONDS = envint("CONSULT_ESCALATE_SECONDS", 120)
if CONSULT_ESCALATE_SECONDS < 1:
    raise ImproperlyConfigured(f"CONSULT_ESCALATE_SECONDS must be at least 1, got {CONSULT_ESCALATE_SECONDS}")
# A stalled hand-off (overdue follow-up, referral, stabilization contact) alerts its owner first; supervisors
# after this grace, if it is still stalled.
CARE_ESCALATION_GRACE_MINUTES = envint("CARE_ESCALATION_GRACE_MINUTES", 60)
if CARE_ESCALATION_GRACE_MINUTES < 0:
    raise ImproperlyConfigured(f"CARE_ESCALATION_GRACE_MINUTES must be 0 or more, got {CARE_ESCALATION_GRACE_MINUTES}")


# Telehealth video (WebRTC) from an officer's consult: the ICE servers browsers use to find a path to each
# other. None configured means host candidates only, which is enough on one network (and in the tests);
# across networks set a STUN server and, behind symmetric NATs, a TURN server. TURN credentials are never
# stored: each page gets a short-lived username and password from TELEHEALTH_TURN_SECRET (coturn's
# `use-auth-secret`, the TURN REST API scheme), so a leaked page stops working after the TTL.
def envurls(name: str, schemes: tuple[str, ...]) -> list[str]:
    urls = [u.strip() for u in os.environ.get(name, "").split(",") if u.strip()]
    for url in urls:
        scheme, _, rest = url.partition(":")
        if scheme not in schemes or not rest or any(c.isspace() for c in url):
            raise ImproperlyConfigured(f"{name} must be comma-separated {'/'.join(schemes)}: URLs, got {url!r}")
    return urls


TELEHEALTH_STUN_URLS = envurls("TELEHEALTH_STUN_URLS", ("stun", "stuns"))
TELEHEALTH_TURN_URLS = envurls("TELEHEALTH_TURN_URLS", ("turn", "turns"))
TELEHEALTH_TURN_SECRET = os.environ.get("TELEHEALTH_TURN_SECRET", "")
TELEHEALTH_TURN_TTL_SECONDS = envint("TELEHEALTH_TURN_TTL_SECONDS", 3600)
if TELEHEALTH_TURN_URLS and not TELEHEALTH_TURN_SECRET:
    raise ImproperlyConfigured("TELEHEALTH_TURN_URLS needs TELEHEALTH_TURN_SECRET (the TURN server's auth secret)")
if not 60 <= TELEHEALTH_TURN_TTL_SECONDS <= 86400:
    raise ImproperlyConfigured(
        f"TELEHEALTH_TURN_TTL_SECONDS must be between 60 and 86400, got {TELEHEALTH_TURN_TTL_SECONDS}"
    )

# Extra program apps to install (comma-separated dotted paths): a new program plugs in with no code edit.
# The tests install tests.support.tenth_program this way.
EXTRA_PROGRAM_APPS = [a.strip() for a in os.environ.get("CRISIS_EXTRA_PROGRAM_APPS", "").split(",") if a.strip()]
if TESTING and "CRISIS_EXTRA_PROGRAM_APPS" not in os.environ:
    EXTRA_PROGRAM_APPS = ["tests.support.tenth_program"]
INSTALLED_APPS += EXTRA_PROGRAM_APPS

# --- Reports -------------------------------------------------------------------
# Overrides of the published response standards (dispatch/standards.py), as JSON, e.g.
# {"arrival": {"target_seconds": {"urban": 2700, "rural": 5400, "default": 2700}}, "answer": {"goal": 0.95}}
try:
    CRISIS_STANDARDS = json.loads(os.environ.get("CRISIS_STANDARDS") or "{}")
except ValueError as exc:
    raise ImproperlyConfigured(f"CRISIS_STANDARDS must be a JSON object: {exc}") from exc
if not isinstance(CRISIS_STANDARDS, dict):
    raise ImproperlyConfigured("CRISIS_STANDARDS must be a JSON object")
REPORTS_SHIFT_HOURS = envint("REPORTS_SHIFT_HOURS", 12)  # "calls per shift" on the caseload report

# A worker stamps a heartbeat this often (a beat task, so a fresh stamp means scheduler, broker and
# worker all run); the boards show "automatic routing paused" once the stamp is older than the threshold.
WORKER_HEARTBEAT_INTERVAL_SECONDS = envint("WORKER_HEARTBEAT_INTERVAL_SECONDS", 5)
WORKER_HEARTBEAT_STALE_SECONDS = envint("WORKER_HEARTBEAT_STALE_SECONDS", 30)
if WORKER_HEARTBEAT_STALE_SECONDS <= WORKER_HEARTBEAT_INTERVAL_SECONDS:
    raise ImproperlyConfigured("WORKER_HEARTBEAT_STALE_SECONDS must be longer than WORKER_HEARTBEAT_INTERVAL_SECONDS")

# --- Integrations (webhooks, EIDO, FHIR) ---------------------------------------------------------------------
WEBHOOK_TIMEOUT_SECONDS = envfloat("WEBHOOK_TIMEOUT_SECONDS", 5.0)  # one attempt; a slow partner waits, not us
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 12)  # then the delivery is given up (replayable)
WEBHOOK_BACKOFF_BASE_SECONDS = envfloat("WEBHOOK_BACKOFF_BASE_SECONDS", 2.0)  # 2, 4, 8 … seconds
WEBHOOK_BACKOFF_MAX_SECONDS = envfloat("WEBHOOK_BACKOFF_MAX_SECONDS", 3600.0)
WEBHOOK_SWEEP_SECONDS = envint("WEBHOOK_SWEEP_SECONDS", 30)
if WEBHOOK_TIMEOUT_SECONDS <= 0 or WEBHOOK_MAX_ATTEMPTS < 1 or WEBHOOK_BACKOFF_BASE_SECONDS <= 0:
    raise ImproperlyConfigured(
        "WEBHOOK_TIMEOUT_SECONDS, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_BACKOFF_BASE_SECONDS must be > 0"
    )
if WEBHOOK_SWEEP_SECONDS < 1:
    raise ImproperlyConfigured("WEBHOOK_SWEEP_SECONDS must be at least 1")
# The name this platform gives itself in the EIDO documents it sends (sendingSystemIdentifier).
EIDO_SYSTEM_ID = os.environ.get("EIDO_SYSTEM_ID", "urn:crisis-dispatch:hub")
# HUD HMIS CSV export: who we are to the HMIS, our Continuum of Care's code (XX-NNN), who receives the export.
HMIS_SOURCE_NAME = os.environ.get("HMIS_SOURCE_NAME", "Crisis response hub")
HMIS_COC_CODE = os.environ.get("HMIS_COC_CODE", "XX-500")
if not re.fullmatch(r"[A-Z]{2}-[0-9]{3}", HMIS_COC_CODE):
    raise ImproperlyConfigured(f"HMIS_COC_CODE must look like IL-510, got {HMIS_COC_CODE!r}")
HMIS_RECIPIENT = os.environ.get("HMIS_RECIPIENT", "Continuum of Care HMIS lead")

# Revocation left standing by a queryset .update() (crisis.revocation.access_sweep).
ACCESS_SWEEP_SECONDS = envint("ACCESS_SWEEP_SECONDS", 60)

CELERY_BEAT_SCHEDULE = {
    "access-sweep": {"task": "crisis.tasks.access_sweep", "schedule": float(ACCESS_SWEEP_SECONDS)},
    # Webhooks: the safety net behind each delivery's own task (a task lost between commit and queue).
    "webhook-deliveries-sweep": {"task": "integrations.tasks.sweep", "schedule": float(WEBHOOK_SWEEP_SECONDS)},
    "dispatch-sweep": {"task": "dispatch.tasks.sweep", "schedule": float(SWEEP_INTERVAL_SECONDS)},
    # Interns: access ends by itself once the term is over (responders/interns.py).
    "intern-terms-end": {"task": "responders.tasks.intern_terms_end", "schedule": float(SWEEP_INTERVAL_SECONDS)},
    # Officer consults: the safety net behind each consult's own escalation countdown.
    "consult-escalate-due": {
        "task": "programs.le_consult.tasks.escalate_due",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "idempotency-keys-purge": {"task": "crisis.tasks.purge_idempotency_keys", "schedule": 3600.0},
    # The reports' per-day figures (reports/rollup.py, keep.py): yesterday counted soon after it ends.
    "reports-days": {"task": "reports.tasks.count_report_days", "schedule": 3600.0},
    "routing-heartbeat": {
        "task": "dispatch.tasks.heartbeat",
        "schedule": float(WORKER_HEARTBEAT_INTERVAL_SECONDS),
        # A heartbeat queued during an outage says nothing about now: drop it rather than run it late.
        "options": {"expires": float(WORKER_HEARTBEAT_INTERVAL_SECONDS)},
    },
}

# The demo's simulated shift (dispatch/simulator.py): demo teams answer offers, drive, arrive, clear, and new calls
# come in. `make run` turns it on; never in tests or production.
DEMO_SIMULATOR = envbool("DEMO_SIMULATOR", "0")
DEMO_SIMULATOR_SECONDS = envint("DEMO_SIMULATOR_SECONDS", 5)
if DEMO_SIMULATOR and PRODUCTION:
    raise ImproperlyConfigured("DEMO_SIMULATOR plays the demo's teams: only with CRISIS_EMBEDDED=1 or DEBUG=1.")
if DEMO_SIMULATOR_SECONDS < 1:
    raise ImproperlyConfigured(f"DEMO_SIMULATOR_SECONDS must be at least 1, got {DEMO_SIMULATOR_SECONDS}")
if DEMO_SIMULATOR and not TESTING:
    CELERY_BEAT_SCHEDULE["demo-simulator"] = {
        "task": "dispatch.tasks.simulate",
        "schedule": float(DEMO_SIMULATOR_SECONDS),
        "options": {"expires": float(DEMO_SIMULATOR_SECONDS)},
    }

# --- API ------------------------------------------------------------------------
# How long an Idempotency-Key's stored answer is replayed (crisis/idempotency.py): a phone offline for a shift.
IDEMPOTENCY_KEY_HOURS = envint("IDEMPOTENCY_KEY_HOURS", 24)
if IDEMPOTENCY_KEY_HOURS < 1:
    raise ImproperlyConfigured(f"IDEMPOTENCY_KEY_HOURS must be 1 or more, got {IDEMPOTENCY_KEY_HOURS}")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that an integration with a bad token gets 401 (not 403).
        "crisis.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "crisis.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "crisis.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "crisis.api.Pagination",
    "PAGE_SIZE": 100,
}
# crisis.parsers.StrictJSONParser: no request body of this API is near either limit.
API_JSON_MAX_BYTES = envint("API_JSON_MAX_BYTES", 1024 * 1024)
API_JSON_MAX_DEPTH = envint("API_JSON_MAX_DEPTH", 20)
SPECTACULAR_SETTINGS = {
    "TITLE": "Crisis response dispatch API",
    "DESCRIPTION": "Intake, triage, routing and tracking of behavioral-health crisis calls.",
    "VERSION": "1.0.0",
    "SERVE_PERMISSIONS": ["crisis.api.CanReadApiDocs"],
    # Swagger UI from our own static files (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # drf-spectacular adds its schema-naming warnings (enum names, an operationId collision, the reports
    # view without a serializer) to `check --deploy`; they are about the docs, not the deployment, and would
    # make CI's `check --deploy --fail-level WARNING` fail for the wrong reason. `manage.py spectacular
    # --validate` still shows them.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crisis.api.document_idempotency_key",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
