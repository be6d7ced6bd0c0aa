"""crisis/migrations/0008_api_tokens_hash_existing.py: DRF's clear-text tokens become digests and keep working."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from crisis.models import ApiToken
from crisis.tokens import token_digest

pytestmark = pytest.mark.django_db

migration = importlib.import_module("crisis.migrations.0008_api_tokens_hash_existing")
OLD_KEY = "0123456789abcdef0123456789abcdef01234567"


def test_existing_tokens_are_hashed_and_keep_working_as_the_users_role(client, dana, nora):
    with connection.cursor() as cursor:
        # The table rest_framework.authtoken left behind, as it stood (the app is no longer installed).
        cursor.execute(
            "CREATE TABLE authtoken_token"
            " (key varchar(40) PRIMARY KEY, created timestamp with time zone, user_id integer)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s), (%s, %s, %s)",
            [OLD_KEY, timezone.now(), dana.pk, "f" * 40, timezone.now(), nora.pk],
        )
    with connection.schema_editor() as editor:
        migration.hash_existing(apps, editor)
    token = ApiToken.objects.get()  # nora holds no role: her token opened nothing and is dropped
    assert token.digest == token_digest(OLD_KEY) and token.user == dana and token.role == "dispatcher"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0  # no clear text left
    assert client.get("/api/calls/", HTTP_AUTHORIZATION=f"Token {OLD_KEY}").status_code == 200
