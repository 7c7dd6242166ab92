"""The ingest: one received file → a stored recording (or a visible reason why not).

Layout (docs/ingest.md has the picture):

- ``receive``: take pushed or uploaded bytes into staging and write the ingest row;
- ``sources/``: the pulled sources (``spool`` folder, S3 ``inbox``), claimed exactly once;
- ``queue``: enqueue by task name (nothing imports ``recordings.tasks``), re-enqueue stalled;
- ``lease``: the claim, its renewal and every change of an ingest's status;
- ``steps/``: ``materialise`` → ``preflight`` → ``analyse`` → ``resolve`` → ``licence`` →
  ``upload``; each step returns nothing (go on) or an outcome (stop);
- ``outcomes``: each ending one transaction with its audit event;
- ``runner``: runs the steps for one ingest and turns failures into outcomes or retries.

Imports run one way: tasks → runner → steps → outcomes → consent, cleanup, lease, queue →
audio, storage, staging, models (checked by ``tests/recordings/test_layout.py``).
"""
