"""One row that every write to team members or programs bumps, in the writer's own transaction (dispatch/warm.py).

The warm team facts were checked by a fingerprint summed over a region's member rows and every program on each
routing run (a third of the live read over 1,000 teams). A statement-level trigger catches every write as the sums
did (the admin, a service, a bulk `update()`, raw SQL, TRUNCATE, another process) and a run reads one row instead.
The table has no model: Django's flush leaves it alone, so its row only ever moves forward.
"""

from django.db import migrations

FORWARD = """
CREATE TABLE dispatch_warm_version (id smallint PRIMARY KEY CHECK (id = 1), n bigint NOT NULL);
INSERT INTO dispatch_warm_version (id, n) VALUES (1, 1);
CREATE FUNCTION dispatch_warm_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dispatch_warm_version (id, n) VALUES (1, 1)
        ON CONFLICT (id) DO UPDATE SET n = dispatch_warm_version.n + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER warm_version_members AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON responders_teammember
    FOR EACH STATEMENT EXECUTE FUNCTION dispatch_warm_version_bump();
CREATE TRIGGER warm_version_programs AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON programs_program
    FOR EACH STATEMENT EXECUTE FUNCTION dispatch_warm_version_bump();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS warm_version_members ON responders_teammember;
DROP TRIGGER IF EXISTS warm_version_programs ON programs_program;
DROP FUNCTION IF EXISTS dispatch_warm_version_bump();
DROP TABLE IF EXISTS dispatch_warm_version;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0016_assignment_offered_at"),
        ("responders", "0007_intern_hours"),
        ("programs", "0003_escalation"),
    ]

    operations = [migrations.RunPython(forward, backward)]
