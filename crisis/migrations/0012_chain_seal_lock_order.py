"""The chain seal locks chain heads in id order (crisis/audit_chain.py).

A transaction that writes to two chains (an audit row and a call event) seals them at COMMIT in the order it
inserted the rows; two such transactions that inserted in opposite orders locked the two heads in opposite orders
and one was killed by PostgreSQL's deadlock detector (seen in the routing race test). Now sealing a row of head N
first locks every head up to N, lowest id first: a transaction's held heads are always a prefix of the ids and it
takes new ones in increasing order, so no two can wait on each other. The heads are created here so the lock
never meets a missing row (an INSERT race on a head is a lock too)."""

import importlib

from django.db import migrations

SEAL = """
INSERT INTO crisis_auditchainhead (id, seq, hash) VALUES (1, 0, ''), (2, 0, '') ON CONFLICT (id) DO NOTHING;

-- Deferred to COMMIT, after every row lock the transaction took; heads locked in id order (see the docstring).
-- Keep the formula with audit_chain.chain_hash. SECURITY DEFINER: see crisis 0010.
CREATE OR REPLACE FUNCTION crisis_chain_seal() RETURNS trigger AS $$
DECLARE
  head bigint := TG_ARGV[0]::bigint;
  head_seq bigint;
  head_hash text;
  new_hash text;
BEGIN
  INSERT INTO crisis_auditchainhead (id, seq, hash) VALUES (head, 0, '') ON CONFLICT (id) DO NOTHING;
  PERFORM 1 FROM crisis_auditchainhead WHERE id < head ORDER BY id FOR UPDATE;
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


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEAL, params=None)  # the function holds % (format)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        before = importlib.import_module("crisis.migrations.0010_one_chain_for_every_table")
        schema_editor.execute(before.FUNCTIONS, params=None)


class Migration(migrations.Migration):
    dependencies = [("crisis", "0011_password_history")]

    operations = [migrations.RunPython(forwards, backwards)]
