"""crisis/tokens.py and crisis/authentication.py: API tokens hashed at rest, expiring, ended with access, scoped."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.utils import timezone

from crisis.errors import InvalidInput
from crisis.models import ApiToken, AuditEntry
from crisis.tokens import api_token_issue, token_digest
from tests.factories import api_token

pytestmark = pytest.mark.django_db

CALLS = "/api/calls/"
REPORT = "/api/reports/standards/"  # crisis.view_reports: supervisors and administrators


def _get(client, url, key):
    return client.get(url, HTTP_AUTHORIZATION=f"Token {key}")


def test_the_stored_value_is_a_digest_never_the_token(client, dana):
    token, key = api_token_issue(user=dana, by=None)
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.digest, stored.prefix) and key not in str(
        ApiToken.objects.filter(pk=token.pk).values().get()
    )
    assert stored.digest == token_digest(key) and stored.role == "dispatcher"
    assert _get(client, CALLS, key).status_code == 200
    entry = AuditEntry.objects.get(action="crisis.api_token.issued")
    assert entry.detail["role"] == "dispatcher" and key not in str(entry.detail)


def test_an_expired_token_is_a_401(client, dana, settings):
    settings.API_TOKEN_LIFETIME_DAYS = 30
    token, key = api_token_issue(user=dana, by=None)
    assert token.expires_at - token.created_at == timedelta(days=30)
    assert _get(client, CALLS, key).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _get(client, CALLS, key)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_new_password_ends_the_token(client, dana):
    key = api_token(dana)
    dana.set_password("a different long passphrase")
    dana.save()
    assert _get(client, CALLS, key).status_code == 401
    assert not ApiToken.objects.filter(user=dana).exists()


def test_deactivation_ends_the_token(client, dana):
    key = api_token(dana)
    dana.is_active = False
    dana.save()
    assert _get(client, CALLS, key).status_code == 401


def test_a_token_opens_only_its_roles_endpoints_even_after_the_user_gains_roles(client, dana):
    key = api_token(dana)
    assert _get(client, REPORT, key).status_code == 403
    dana.groups.add(Group.objects.get(name="supervisor"))
    assert _get(client, REPORT, key).status_code == 403  # the token is still a dispatcher's
    assert _get(client, CALLS, key).status_code == 200
    supervisor_key = api_token(dana, role="supervisor")
    assert _get(client, REPORT, supervisor_key).status_code == 200
    client.force_login(dana)  # the session, not a token, has all of dana's roles
    assert client.get(REPORT).status_code == 200


def test_a_token_opens_nothing_once_its_role_is_taken_away(client, dana, cam):
    key = api_token(dana)
    dana.groups.clear()
    dana.groups.add(Group.objects.get(name="clinician"))
    assert _get(client, CALLS, key).status_code in (401, 403)


def test_a_token_is_issued_only_for_a_role_the_user_holds(dana, nora):
    with pytest.raises(InvalidInput, match="does not hold the administrator role"):
        api_token_issue(user=dana, role="administrator", by=None)
    with pytest.raises(InvalidInput):
        api_token_issue(user=nora, by=None)
    with pytest.raises(InvalidInput):
        api_token_issue(user=dana, by=None, lifetime_days=0)
    dana.is_superuser = True
    with pytest.raises(InvalidInput, match="superuser"):
        api_token_issue(user=dana, by=None)
    assert not ApiToken.objects.exists()


def test_the_command_prints_the_token_once(client, dana):
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_api_token", "dana", "--days", "7", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert "dispatcher" in err.getvalue() and _get(client, CALLS, key).status_code == 200
    assert ApiToken.objects.get(user=dana).expires_at < timezone.now() + timedelta(days=7, seconds=5)
    with pytest.raises(CommandError, match="does not hold"):
        call_command("issue_api_token", "dana", "--role", "supervisor", stdout=out, stderr=err)


def test_the_admin_action_shows_the_token_once(client, ada, dana):
    # Accounts are managed by staff given the user permissions directly, as for the two-step reset.
    ada.is_staff = True
    ada.save()
    ada.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client.force_login(ada)
    response = client.post(
        "/admin/crisis/user/", {"action": "issue_api_token", "_selected_action": [dana.pk]}, follow=True
    )
    message = next(str(m) for m in response.context["messages"] if "API token for dana" in str(m))
    key = message.split(": ", 1)[1].split(" ")[0]
    assert _get(client, CALLS, key).status_code == 200
    assert ApiToken.objects.get(user=dana).digest == token_digest(key)


@pytest.mark.parametrize("role", ["dispatcher", "supervisor", "responder", "officer", "administrator"])
def test_the_token_brings_its_roles_permissions_as_the_backend_reads_them(dana, role):
    """On PostgreSQL the token's statement carries its role's permissions (crisis.authentication); the answer is
    the backend's own read, for every role, and empty once the role is taken away."""
    from crisis.authentication import RoleBackend, TokenAuthentication
    from crisis.models import User

    dana.groups.add(Group.objects.get(name=role))
    key = api_token(dana, role=role)
    user, _ = TokenAuthentication().authenticate_credentials(key)
    fresh = User.objects.get(pk=dana.pk)
    fresh.api_token_role = role
    expected = RoleBackend().get_all_permissions(fresh)
    assert expected and user.get_all_permissions() == expected
    dana.groups.remove(Group.objects.get(name=role))
    user, _ = TokenAuthentication().authenticate_credentials(key)
    assert user.get_all_permissions() == set()


@pytest.mark.postgres
def test_a_token_request_reads_its_role_in_the_tokens_statement(client, dana, django_assert_num_queries):
    """One statement before a token request's own work (PostgreSQL): the token, its user and its role's
    permissions; a second read of the permissions comes back here first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    key = api_token(dana)
    with CaptureQueriesContext(connection) as ctx:
        assert _get(client, "/api/teams/", key).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum('FROM "auth_permission"' in s for s in sql) == 1, sql
    (token_read,) = [s for s in sql if 'FROM "crisis_apitoken"' in s]
    assert 'FROM "auth_permission"' in token_read


def test_the_token_read_is_compiled_once_per_process(dana, monkeypatch):
    """Building and compiling the token's query cost three times what running it did (issue #15): every API
    request runs the statement compiled by the first (crisis.sql.CompiledOne)."""
    from crisis import authentication
    from crisis.sql import CompiledOne

    authentication._token_with_permissions.cache_clear()
    compiled = []
    real = CompiledOne._compile
    monkeypatch.setattr(CompiledOne, "_compile", lambda self, alias: compiled.append(alias) or real(self, alias))
    key = api_token(dana)
    users = [authentication.TokenAuthentication().authenticate_credentials(key)[0] for _ in range(3)]
    assert compiled == ["default"]
    assert {u.username for u in users} == {"dana"} and all(u.api_token_role == "dispatcher" for u in users)
