from django.db import migrations

TRIGGER = """
CREATE OR REPLACE FUNCTION crisis_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit entries are append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS crisis_auditentry_append_only ON crisis_auditentry;
CREATE TRIGGER crisis_auditentry_append_only BEFORE UPDATE OR DELETE ON crisis_auditentry
  FOR EACH ROW EXECUTE FUNCTION crisis_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS crisis_auditentry_append_only ON crisis_auditentry;
DROP FUNCTION IF EXISTS crisis_audit_append_only();
"""


def forwards(apps, schema_editor):
    # The database refuses edits even from a shell or a buggy query, not only the app.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("crisis", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
