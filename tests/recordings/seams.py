"""Faults injected at public seams: the database (Django's ``connection.execute_wrapper``)
and the store (its public methods). Nothing here reaches into the pipeline's internals."""

from __future__ import annotations

import contextlib

from django.db import connection

RECORDING_INSERT = 'INSERT INTO "recordings_recording"'


@contextlib.contextmanager
def database_fails(exc: BaseException, *, on: str = RECORDING_INSERT):
    """Every statement starting with ``on`` fails with ``exc`` (by default the insert of a
    recording, i.e. the pipeline's final transaction) while the block runs."""

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().startswith(on):
            raise exc
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield


def after_upload(store_class, ingest, action):
    """A ``put_file`` for ``store_class`` that runs ``action()`` once, right after the upload
    of ``ingest``'s audio (for ``mock.patch.object(store_class, "put_file", ...)``)."""
    original = store_class.put_file
    done = []

    def put_file(self, key, path, **kwargs):
        original(self, key, path, **kwargs)
        if str(ingest.ingest_id) in key and not done:
            done.append(True)
            action()

    return put_file
