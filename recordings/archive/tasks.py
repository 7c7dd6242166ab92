"""Celery tasks of the archive (imported by ``RecordingsConfig.ready`` so workers know them).
Each takes ids, never instances."""

from celery import shared_task

from . import exports, retention


@shared_task(name="recordings.archive.build_export")
def build_export(export_pk, tenant_id):
    return exports.build_export(export_pk, tenant_id)


@shared_task(name="recordings.archive.expire_exports")
def expire_exports():
    return exports.expire_exports()


@shared_task(name="recordings.archive.purge_retention")
def purge_retention():
    """Daily: tombstone recordings past their tenant's retention (held ones stay)."""
    return {str(k): v for k, v in retention.purge_all().items()}
