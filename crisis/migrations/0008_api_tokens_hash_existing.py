"""Move DRF's clear-text tokens (rest_framework.authtoken, no longer installed) into crisis.ApiToken as digests.

Each keeps working, as its user's first role, for API_TOKEN_LIFETIME_DAYS from this migration; a token of a
user holding no role opened nothing and is dropped. The clear-text rows are deleted.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

# crisis.roles.ROLE_ORDER and the integration role, as they stood when this migration was written.
ROLES = ("administrator", "supervisor", "dispatcher", "clinician", "responder", "officer", "intern", "integration")


def hash_existing(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("crisis", "ApiToken")
    User = apps.get_model("crisis", "User")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
    expires = timezone.now() + timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)
    for key, user_id, created in rows:
        held = set(User.objects.get(pk=user_id).groups.values_list("name", flat=True))
        role = next((r for r in ROLES if r in held), None)
        if role is None:
            continue
        ApiToken.objects.create(
            digest=hashlib.sha256(key.encode()).hexdigest(), prefix=key[:8], user_id=user_id, role=role,
            created_at=created, expires_at=expires,
        )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("crisis", "0007_api_tokens")]

    operations = [migrations.RunPython(hash_existing, migrations.RunPython.noop)]
