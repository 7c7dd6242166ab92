"""The archive's keeping side: exports (ZIP with manifest), retention and purge, legal hold,
deletion with a reason, data-subject requests and the objection after the call.

Writes are services (keyword-only, actor first, one transaction, audited in it); the Celery
tasks are in :mod:`recordings.archive.tasks` (imported by ``RecordingsConfig.ready``).
"""
