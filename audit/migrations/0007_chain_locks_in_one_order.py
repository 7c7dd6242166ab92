"""A transaction that records into several chains takes their locks in one order.

The deferred trigger of migration 0005 locks a chain (an advisory lock on its key) when it
chains an event, in the order the transaction staged its events. Two transactions that recorded
into the same two chains in opposite orders (a user's password change records into every tenant
of the user) could each hold one chain and wait for the other: PostgreSQL broke the deadlock by
failing one of them. Now the first event of such a transaction locks every chain it staged
events for, in the order of the lock keys, so the second transaction queues behind the first.
The staging insert of ``audit.chain`` notes in a transaction-local setting whether the
transaction staged events for more than one chain; a transaction of one chain (nearly all)
pays nothing more.
"""

import importlib

from django.db import migrations

staged = importlib.import_module("audit.migrations.0005_staged_events")

ONE_CHAIN_LOCK = "    PERFORM pg_advisory_xact_lock(20587, hashtext(NEW.chain));\n"
ALL_CHAIN_LOCKS = """\
    -- audit.chain's staging insert notes 'many' when this transaction staged events for more
    -- than one chain: then lock them all now (its staged rows; other transactions' are not
    -- visible, its own chained ones are deleted), in the order of the keys.
    IF current_setting('hostedpbx.audit_chains', true) = 'many' THEN
        FOR lock_key IN SELECT DISTINCT hashtext(chain) FROM audit_stagedauditevent
                        ORDER BY 1 LOOP
            PERFORM pg_advisory_xact_lock(20587, lock_key);
        END LOOP;
    END IF;
"""
assert ONE_CHAIN_LOCK in staged.PG_UP
PG_UP = (staged.PG_UP
         .replace("    new_hash varchar(64);\n", "    new_hash varchar(64);\n    lock_key integer;\n")
         .replace(ONE_CHAIN_LOCK, ALL_CHAIN_LOCKS + ONE_CHAIN_LOCK))


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(staged.PG_UP, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0006_fewer_event_indexes'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
