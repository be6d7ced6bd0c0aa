"""One hash-chain implementation for every append-only table (crisis/audit_chain.py): a guard and a seal that
take the table from the trigger, the chain head's row from the trigger's argument. The audit trail moves onto
them (head 1); dispatch 0008 chains the call timeline with the same two functions (head 2)."""

import importlib

from django.db import migrations

# The guard lets exactly one update through: the seal filling an unsealed row's chain fields (and its content
# hash, for rows older than the chain), every other column unchanged.
FUNCTIONS = """
CREATE OR REPLACE FUNCTION crisis_chain_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
     AND (NEW.content_hash = OLD.content_hash OR OLD.content_hash = '')
     AND (to_jsonb(NEW) - ARRAY['content_hash', 'chain_seq', 'prev_hash', 'chain_hash'])
         = (to_jsonb(OLD) - ARRAY['content_hash', 'chain_seq', 'prev_hash', 'chain_hash']) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;

-- Deferred to COMMIT, after every row lock the transaction took, so holding the head's lock cannot deadlock
-- with them; the head's row lock makes chain order commit order. Keep the formula with audit_chain.chain_hash.
-- SECURITY DEFINER: it runs as the migrations' owner role, so the app's DML-only role needs no UPDATE on the
-- chained tables or the heads (manage.py db_roles).
CREATE OR REPLACE FUNCTION crisis_chain_seal() RETURNS trigger AS $$
DECLARE
  head bigint := TG_ARGV[0]::bigint;
  head_seq bigint;
  head_hash text;
  new_hash text;
BEGIN
  INSERT INTO crisis_auditchainhead (id, seq, hash) VALUES (head, 0, '') ON CONFLICT (id) DO NOTHING;
  SELECT seq, hash INTO head_seq, head_hash FROM crisis_auditchainhead WHERE id = head FOR UPDATE;
  head_seq := head_seq + 1;
  new_hash := encode(sha256(convert_to(head_hash || '|' || head_seq::text || '|' || NEW.content_hash, 'UTF8')), 'hex');
  EXECUTE format('UPDATE %I.%I SET chain_seq = $1, prev_hash = $2, chain_hash = $3 WHERE id = $4',
                 TG_TABLE_SCHEMA, TG_TABLE_NAME)
    USING head_seq, head_hash, new_hash, NEW.id;
  UPDATE crisis_auditchainhead SET seq = head_seq, hash = new_hash WHERE id = head;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public;
"""

AUDIT_TRIGGERS = """
DROP TRIGGER IF EXISTS crisis_auditentry_append_only ON crisis_auditentry;
CREATE TRIGGER crisis_auditentry_append_only BEFORE UPDATE OR DELETE ON crisis_auditentry
  FOR EACH ROW EXECUTE FUNCTION crisis_chain_append_only();
DROP TRIGGER IF EXISTS crisis_auditentry_chain ON crisis_auditentry;
CREATE CONSTRAINT TRIGGER crisis_auditentry_chain AFTER INSERT ON crisis_auditentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION crisis_chain_seal('1');
DROP FUNCTION IF EXISTS crisis_audit_chain();
DROP FUNCTION IF EXISTS crisis_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)  # the functions hold % (RAISE, format)
        schema_editor.execute(AUDIT_TRIGGERS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    before = importlib.import_module("crisis.migrations.0004_audit_hash_chain")
    schema_editor.execute(before.APPEND_ONLY)
    schema_editor.execute(
        "DROP TRIGGER IF EXISTS crisis_auditentry_append_only ON crisis_auditentry;"
        " CREATE TRIGGER crisis_auditentry_append_only BEFORE UPDATE OR DELETE ON crisis_auditentry"
        " FOR EACH ROW EXECUTE FUNCTION crisis_audit_append_only();"
    )
    schema_editor.execute(before.CHAIN)
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS crisis_chain_seal(); DROP FUNCTION IF EXISTS crisis_chain_append_only();"
    )


class Migration(migrations.Migration):
    dependencies = [("crisis", "0009_disclosure_accounting_permission")]
    operations = [migrations.RunPython(forwards, backwards)]
