"""Staged audit events, chained at commit by a deferred trigger (PostgreSQL).

``audit.record`` used to lock the chain head at the first event of a transaction and hold the lock
until the commit, so every transaction that recorded anything queued behind the one before for
its whole length. Now it inserts the event into ``audit_stagedauditevent`` without a lock; this
deferred constraint trigger runs at COMMIT, locks the head only then, and appends the event to the
chain with the same canonical encoding as ``audit.chain.canonical_bytes`` (the writer passes the
encoding up to ``prev_hash``; the trigger appends ``prev_hash``, ``seq`` and ``tenant``). The lock
is held for the trigger and the commit's WAL flush only, and group commit applies to the rest.
SQLite keeps the direct append (it serialises writers anyway). The staging table is unlogged.
"""

from django.db import migrations, models

PG_UP = """
CREATE OR REPLACE FUNCTION audit_chain_staged() RETURNS trigger AS $$
DECLARE
    head_seq bigint;
    head_hash varchar(64);
    new_hash varchar(64);
BEGIN
    -- Writers of a chain queue here one by one until their commit ends (waiting for the head's
    -- row lock instead would wake them all at each commit). The head's last_seq and last_hash
    -- change only under this lock, so a plain read is current; the UPDATE below takes the row
    -- lock too, against the purge and the checkpoint writer.
    PERFORM pg_advisory_xact_lock(20587, hashtext(NEW.chain));
    SELECT last_seq, last_hash INTO head_seq, head_hash
        FROM audit_auditchainhead WHERE chain = NEW.chain;
    IF NOT FOUND THEN
        INSERT INTO audit_auditchainhead (chain, tenant_id, last_seq, last_hash, first_seq,
                                          updated_at)
            VALUES (NEW.chain, NEW.tenant_id, 0, repeat('0', 64), 1, NEW.occurred_at)
            ON CONFLICT (chain) DO NOTHING;
        SELECT last_seq, last_hash INTO head_seq, head_hash
            FROM audit_auditchainhead WHERE chain = NEW.chain FOR UPDATE;
    END IF;
    head_seq := head_seq + 1;
    new_hash := encode(sha256(convert_to(
        NEW.canonical_head || '"prev_hash":"' || head_hash || '","seq":' || head_seq
        || ',"tenant":' || coalesce(NEW.tenant_id::text, 'null') || '}', 'UTF8')), 'hex');
    INSERT INTO audit_auditevent (id, chain, seq, tenant_id, occurred_at, actor_type, actor_id,
                                  actor_label, action, object_type, object_id, data, ip,
                                  prev_hash, hash)
        VALUES (NEW.id, NEW.chain, head_seq, NEW.tenant_id, NEW.occurred_at, NEW.actor_type,
                NEW.actor_id, NEW.actor_label, NEW.action, NEW.object_type, NEW.object_id,
                NEW.data, NEW.ip, head_hash, new_hash);
    UPDATE audit_auditchainhead SET last_seq = head_seq, last_hash = new_hash,
                                    updated_at = greatest(updated_at, NEW.occurred_at)
        WHERE chain = NEW.chain;
    DELETE FROM audit_stagedauditevent WHERE id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_pending_chain ON audit_stagedauditevent;
CREATE CONSTRAINT TRIGGER audit_pending_chain AFTER INSERT ON audit_stagedauditevent
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_chain_staged();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS audit_pending_chain ON audit_stagedauditevent;
DROP FUNCTION IF EXISTS audit_chain_staged();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('audit_auditevent', 'id')")
        (sequence,) = cursor.fetchone()
    # Unlogged: a staged row never outlives its transaction, so it needs no WAL (after a crash
    # the table starts empty, which is what it must be). The events themselves are logged.
    schema_editor.execute("ALTER TABLE audit_stagedauditevent SET UNLOGGED", params=None)
    # A staged event keeps its id when it is chained: the id is the AuditEvent's from the start.
    schema_editor.execute(
        "ALTER TABLE audit_stagedauditevent ALTER COLUMN id "
        f"SET DEFAULT nextval('{sequence}'::regclass)", params=None)
    schema_editor.execute(PG_UP, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_purge_through_retention'),
    ]

    operations = [
        migrations.CreateModel(
            name='StagedAuditEvent',
            fields=[
                ('id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('chain', models.CharField(max_length=32)),
                ('tenant_id', models.BigIntegerField(null=True)),
                ('occurred_at', models.DateTimeField()),
                ('actor_type', models.CharField(max_length=16)),
                ('actor_id', models.CharField(blank=True, max_length=64)),
                ('actor_label', models.CharField(blank=True, max_length=200)),
                ('action', models.CharField(max_length=64)),
                ('object_type', models.CharField(blank=True, max_length=64)),
                ('object_id', models.CharField(blank=True, max_length=128)),
                ('data', models.JSONField(blank=True, default=dict)),
                ('ip', models.CharField(blank=True, max_length=64)),
                ('canonical_head', models.TextField()),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
