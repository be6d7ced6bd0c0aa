"""`manage.py db_roles` (crisis/management/commands/db_roles.py): the app's role cannot touch the audit trail.

Everything runs inside the test's transaction (PostgreSQL DDL and CREATE ROLE are transactional), so the roles
and ownership changes vanish afterwards. The role names carry the database's name: other suites may share the
cluster.
"""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from crisis import audit
from crisis.models import AuditEntry
from dispatch import services
from dispatch.models import CallEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

REFUSED = [
    "UPDATE {table} SET id = id",
    "DELETE FROM {table}",
    "TRUNCATE {table}",
    "ALTER TABLE {table} DISABLE TRIGGER ALL",
    "ALTER TABLE {table} DISABLE TRIGGER {table}_append_only",
    "ALTER TABLE {table} DISABLE TRIGGER {table}_chain",
    "DROP TRIGGER {table}_chain ON {table}",
    # Re-sealing a row (the one UPDATE the guard allows the owner's seal) is no privilege of the app either.
    "UPDATE {table} SET chain_seq = NULL",
    "DROP TRIGGER {table}_append_only ON {table}",
    "ALTER TABLE {table} OWNER TO CURRENT_USER",
]


@pytest.fixture
def roles(monkeypatch):
    name = connection.settings_dict["NAME"].replace("-", "_")[:40]
    owner, app = f"{name}_owner", f"{name}_app"
    monkeypatch.setenv("CRISIS_DB_OWNER_PASSWORD", "owner-password-for-tests")
    monkeypatch.setenv("CRISIS_DB_APP_PASSWORD", "app-password-for-tests")
    call_command("db_roles", owner=owner, app=app, create_roles=True)
    return owner, app


def _as(role: str):
    with connection.cursor() as cur:
        cur.execute(f"SET LOCAL ROLE {connection.ops.quote_name(role)}")


def _refused(statement: str) -> str:
    with pytest.raises(Exception) as caught, transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement)
    return str(caught.value)


@pytest.mark.parametrize("table", ["crisis_auditentry", "dispatch_callevent"])
@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_cannot_change_or_unguard_an_append_only_table(roles, new_call, dana, table, statement):
    new_call()
    audit.record(actor=dana, action="crisis.test.row")
    _, app = roles
    _as(app)
    message = _refused(statement.format(table=table))
    assert "permission denied" in message or "must be owner" in message, message


def test_the_app_role_cannot_switch_the_triggers_off_or_rewrite_the_chain_head(roles):
    _, app = roles
    _as(app)
    assert "permission denied" in _refused("SET session_replication_role = replica")
    assert "permission denied" in _refused("UPDATE crisis_auditchainhead SET seq = 0")
    assert "permission denied" in _refused("INSERT INTO crisis_auditchainhead (id, seq, hash) VALUES (99, 0, '')")
    assert "permission denied" in _refused("DELETE FROM crisis_auditchainhead WHERE id = 2")
    assert "permission denied" in _refused("CREATE TABLE crisis_evil (id int)")


def test_the_app_role_still_does_its_work_and_the_seal_runs_as_the_owner(roles, new_call, dana):
    _, app = roles
    _as(app)
    call = new_call()
    services.call_cancel(call=call, by=dana, reason="duplicate")
    entry = audit.record(actor=dana, action="crisis.test.row", obj=call)
    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        assert cur.fetchone()[0] == app
        # Fire the commit-time seal now, as the app role: it may not UPDATE the table, the seal's owner may.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert AuditEntry.objects.get(pk=entry.pk).chain_seq is not None
    events = CallEvent.objects.filter(call=call)
    assert events.count() >= 2
    # The call timeline's chain too (dispatch 0008): every event sealed, none through an app statement.
    assert not events.filter(chain_seq__isnull=True).exists()


def test_the_owner_owns_the_tables_and_the_app_owns_nothing(roles):
    owner, app = roles
    with connection.cursor() as cur:
        cur.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'crisis_auditentry'")
        assert cur.fetchone()[0] == owner
        cur.execute("SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = %s", [app])
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s", [app])
        assert cur.fetchone() == (False, False, False)


def test_a_short_password_is_refused(monkeypatch):
    monkeypatch.setenv("CRISIS_DB_OWNER_PASSWORD", "short")
    with pytest.raises(CommandError, match="CRISIS_DB_OWNER_PASSWORD"):
        call_command("db_roles", owner="x_owner", app="x_app", create_roles=True)
