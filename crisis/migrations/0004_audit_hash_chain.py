"""The audit trail's hash chain (crisis/audit_chain.py): content and chain columns, the chain head, the
commit-time sealing trigger on PostgreSQL, and the seal of the entries written before this migration."""

from django.db import migrations, models

# The append-only guard lets exactly one update through: the seal filling an unsealed row's chain fields (and
# its content hash, for rows older than this migration), every column of what the entry says unchanged.
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION crisis_audit_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
     AND (NEW.content_hash = OLD.content_hash OR OLD.content_hash = '')
     AND (NEW.id, NEW.at, NEW.actor_id, NEW.actor_label, NEW.action, NEW.object_type, NEW.object_id,
          NEW.ip_address, NEW.detail)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.at, OLD.actor_id, OLD.actor_label, OLD.action, OLD.object_type, OLD.object_id,
          OLD.ip_address, OLD.detail) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit entries are append-only';
END;
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY_BEFORE = """
CREATE OR REPLACE FUNCTION crisis_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit entries are append-only';
END;
$$ LANGUAGE plpgsql;
"""

# Deferred to COMMIT, after every row lock the transaction took, so holding the head's lock cannot deadlock with
# them; the head's row lock makes chain order commit order. Keep the formula with audit_chain.chain_hash.
# SECURITY DEFINER: it runs as the migrations' owner role, so the app's DML-only role needs no UPDATE on the
# audit table or the head (manage.py db_roles).
CHAIN = """
CREATE OR REPLACE FUNCTION crisis_audit_chain() RETURNS trigger AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  new_hash text;
BEGIN
  INSERT INTO crisis_auditchainhead (id, seq, hash) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING;
  SELECT seq, hash INTO head_seq, head_hash FROM crisis_auditchainhead WHERE id = 1 FOR UPDATE;
  head_seq := head_seq + 1;
  new_hash := encode(sha256(convert_to(head_hash || '|' || head_seq::text || '|' || NEW.content_hash, 'UTF8')), 'hex');
  UPDATE crisis_auditentry SET chain_seq = head_seq, prev_hash = head_hash, chain_hash = new_hash WHERE id = NEW.id;
  UPDATE crisis_auditchainhead SET seq = head_seq, hash = new_hash WHERE id = 1;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public;
DROP TRIGGER IF EXISTS crisis_auditentry_chain ON crisis_auditentry;
CREATE CONSTRAINT TRIGGER crisis_auditentry_chain AFTER INSERT ON crisis_auditentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION crisis_audit_chain();
"""

DROP_CHAIN = """
DROP TRIGGER IF EXISTS crisis_auditentry_chain ON crisis_auditentry;
DROP FUNCTION IF EXISTS crisis_audit_chain();
"""


def forwards(apps, schema_editor):
    from crisis.audit_chain import chain_hash, content_hash

    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(APPEND_ONLY)
    AuditEntry = apps.get_model("crisis", "AuditEntry")
    Head = apps.get_model("crisis", "AuditChainHead")
    seq, prev = 0, ""
    for entry in AuditEntry.objects.filter(chain_seq__isnull=True).order_by("id").iterator():
        seq += 1
        content = content_hash(entry)
        sealed = chain_hash(prev, seq, content)
        AuditEntry.objects.filter(pk=entry.pk).update(
            content_hash=content, chain_seq=seq, prev_hash=prev, chain_hash=sealed
        )
        prev = sealed
    Head.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": prev})
    if postgres:
        schema_editor.execute(CHAIN)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_CHAIN)
        schema_editor.execute(APPEND_ONLY_BEFORE)


class Migration(migrations.Migration):

    dependencies = [
        ('crisis', '0003_append_only_refuses_truncate'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.BigIntegerField(default=0)),
                ('hash', models.CharField(blank=True, max_length=64)),
            ],
        ),
        migrations.AddField(
            model_name='auditentry',
            name='chain_hash',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='chain_seq',
            field=models.BigIntegerField(blank=True, editable=False, null=True, unique=True),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='content_hash',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='prev_hash',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(forwards, backwards),
    ]
