from django.db import migrations

# One function for every append-only table's statement-level guard. Row-level triggers do not fire on
# TRUNCATE, so without this `TRUNCATE crisis_auditentry` erased the trail in one statement.
FUNCTION = """
CREATE OR REPLACE FUNCTION crisis_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER = """
DROP TRIGGER IF EXISTS crisis_auditentry_no_truncate ON crisis_auditentry;
CREATE TRIGGER crisis_auditentry_no_truncate BEFORE TRUNCATE ON crisis_auditentry
  FOR EACH STATEMENT EXECUTE FUNCTION crisis_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS crisis_auditentry_no_truncate ON crisis_auditentry;
DROP FUNCTION IF EXISTS crisis_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("crisis", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
