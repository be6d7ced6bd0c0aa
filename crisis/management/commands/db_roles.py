"""`manage.py db_roles`: the migrations' owner role and the application's DML-only role on PostgreSQL.

The owner role owns every table, sequence and trigger function and is used only to migrate. The app role may
SELECT, INSERT, UPDATE and DELETE, nothing else: it owns nothing, so it cannot ALTER TABLE ... DISABLE TRIGGER,
DROP TRIGGER or TRUNCATE, and on the append-only tables (those guarded by the crisis_append_only trigger: the
audit trail and the call timelines) it may only SELECT and INSERT. The audit chain's head is written only by the
SECURITY DEFINER seal at commit (crisis migration 0004). CJIS 5.4.6, HIPAA 164.312(c)(1).

    # once, as a superuser (e.g. the postgres image's POSTGRES_USER): roles, and ownership moved to the owner
    CRISIS_DB_OWNER_PASSWORD=... CRISIS_DB_APP_PASSWORD=... DATABASE_URL=<superuser> manage.py db_roles --create-roles
    # after every migrate, as the owner (new tables, and the guard's list of append-only tables)
    DATABASE_URL=<owner> manage.py db_roles

Idempotent; role names from --owner/--app or DB_OWNER_ROLE/DB_APP_ROLE (crisis_owner, crisis_app).
"""

from __future__ import annotations

import os
import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
# Written only by the seal (SECURITY DEFINER): the app reads it, verify_audit compares it with the chain's end.
SEAL_ONLY_TABLES = ["crisis_auditchainhead"]


def _role(name: str) -> str:
    if not ROLE_NAME.match(name):
        raise CommandError(f"{name!r} is not a plain PostgreSQL role name (lowercase letters, digits, _)")
    return connection.ops.quote_name(name)


def _password(variable: str) -> str:
    value = os.environ.get(variable, "")
    if len(value) < 12:
        raise CommandError(f"set {variable} to the role's password (12 characters or more)")
    return value


def append_only_tables(cur) -> list[str]:
    """The tables whose TRUNCATE guard calls crisis_append_only(): every append-only table, whoever added it."""
    cur.execute(
        """
        SELECT DISTINCT c.relname FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE p.proname IN ('crisis_append_only', 'crisis_chain_append_only') ORDER BY 1
        """
    )
    return [row[0] for row in cur.fetchall()]


def setup_roles(cur, *, owner: str, app: str) -> None:
    for role, variable in ((owner, "CRISIS_DB_OWNER_PASSWORD"), (app, "CRISIS_DB_APP_PASSWORD")):
        password = _password(variable)
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if not cur.fetchone():
            cur.execute(f"CREATE ROLE {_role(role)}")
        cur.execute(
            f"ALTER ROLE {_role(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            " PASSWORD %s",
            [password],
        )
    o = _role(owner)
    cur.execute(
        f"GRANT CONNECT, TEMPORARY ON DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} TO {o}"
    )
    cur.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {o}")
    # Everything the migrations made so far (under whichever role ran them) now belongs to the owner.
    cur.execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
        # A table's own sequences (serial, identity) follow the table.
        " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))"
    )
    for name, kind in cur.fetchall():
        what = {"S": "SEQUENCE", "v": "VIEW", "m": "MATERIALIZED VIEW"}.get(kind, "TABLE")
        cur.execute(f"ALTER {what} {connection.ops.quote_name(name)} OWNER TO {o}")
    cur.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public'"
    )
    for (signature,) in cur.fetchall():
        cur.execute(f"ALTER FUNCTION {signature} OWNER TO {o}")


def grant_app(cur, *, owner: str, app: str) -> list[str]:
    o, a = _role(owner), _role(app)
    cur.execute(f"GRANT CONNECT ON DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} TO {a}")
    cur.execute(f"GRANT USAGE ON SCHEMA public TO {a}")
    cur.execute(f"REVOKE CREATE ON SCHEMA public FROM {a}")
    cur.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {a}")
    cur.execute(f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {a}")
    cur.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {a}")
    # Tables the next migrations create get the same, without waiting for this command to run again.
    cur.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public GRANT {APP_TABLE_PRIVILEGES} ON TABLES TO {a}")
    cur.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {a}")
    guarded = append_only_tables(cur)
    for table in guarded:
        cur.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {connection.ops.quote_name(table)} FROM {a}")
    for table in SEAL_ONLY_TABLES:
        cur.execute("SELECT to_regclass(%s)", [table])
        if cur.fetchone()[0] is None:  # before the first migrate
            continue
        cur.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {connection.ops.quote_name(table)} FROM {a}")
    return guarded


class Command(BaseCommand):
    help = "Set up the owner (migrations) and DML-only app roles on PostgreSQL; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--owner", default=os.environ.get("DB_OWNER_ROLE", "crisis_owner"))
        parser.add_argument("--app", default=os.environ.get("DB_APP_ROLE", "crisis_app"))
        parser.add_argument(
            "--create-roles",
            action="store_true",
            help="Create or update both roles (passwords from CRISIS_DB_OWNER_PASSWORD, CRISIS_DB_APP_PASSWORD) and "
            "give the owner every existing table; needs a superuser.",
        )

    def handle(self, *args, owner: str, app: str, create_roles: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("database roles are a PostgreSQL feature; this database is " + connection.vendor)
        if owner == app:
            raise CommandError("the owner and the app must be two roles")
        with transaction.atomic(), connection.cursor() as cur:
            if create_roles:
                setup_roles(cur, owner=owner, app=app)
            guarded = grant_app(cur, owner=owner, app=app)
        self.stdout.write(
            self.style.SUCCESS(f"{app}: {APP_TABLE_PRIVILEGES} only; SELECT, INSERT only on {', '.join(guarded)}")
        )
