import django.db.models.deletion
"""Fewer indexes on audit events: every append writes each of them.

The trail is always read within one tenant, so the indexes that start with the tenant serve every
query: the separate indexes on ``tenant``, ``occurred_at`` and ``action`` (two on PostgreSQL)
go, and ``(tenant, action)`` serves the action and category filters.

On SQLite, altering the columns rebuilds the table, which drops the append-only trigger of
migration 0002: it is created again.
"""

import importlib

from django.db import migrations, models

append_only = importlib.import_module("audit.migrations.0002_append_only_trigger")


def restore_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(append_only.SQLITE_UP)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0005_staged_events'),
        ('tenancy', '0004_invitations'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='occurred_at',
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='tenant',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.tenant'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['tenant', 'action'], name='audit_event_tenant_action'),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
    ]
