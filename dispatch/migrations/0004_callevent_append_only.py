from django.db import migrations

# The call's timeline is the call's audit: like crisis_auditentry, the database refuses to change,
# delete or truncate it (crisis_append_only() comes from crisis 0003).
TRIGGER = """
DROP TRIGGER IF EXISTS dispatch_callevent_append_only ON dispatch_callevent;
CREATE TRIGGER dispatch_callevent_append_only BEFORE UPDATE OR DELETE ON dispatch_callevent
  FOR EACH ROW EXECUTE FUNCTION crisis_append_only();
DROP TRIGGER IF EXISTS dispatch_callevent_no_truncate ON dispatch_callevent;
CREATE TRIGGER dispatch_callevent_no_truncate BEFORE TRUNCATE ON dispatch_callevent
  FOR EACH STATEMENT EXECUTE FUNCTION crisis_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS dispatch_callevent_append_only ON dispatch_callevent;
DROP TRIGGER IF EXISTS dispatch_callevent_no_truncate ON dispatch_callevent;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0003_callevent_ip_address"), ("crisis", "0003_append_only_refuses_truncate")]
    operations = [migrations.RunPython(forwards, backwards)]
