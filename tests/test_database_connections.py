"""Database connections: the worker keeps its connection from task to task, as gunicorn does from
request to request (``CONN_MAX_AGE``), replaces one that broke, and repeated statements are
prepared. On PostgreSQL, where it matters (Django never closes SQLite's in-memory test
database).

Celery's Django fixup closes every connection before and after each task unless
``CELERY_DB_REUSE_MAX`` is set: on PostgreSQL a new backend process per ingest (about a fifth
of the pipeline's rate in ``bench/ingest.py``, docs/performance.md).
"""

from types import SimpleNamespace

import pytest
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from hostedpbx.celery import _close_old_connections, app

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

TASK = SimpleNamespace(request=SimpleNamespace(is_eager=False))


def run_task_signals(fixup):
    """What the worker does around one task: Celery's fixup, then the project's handler, on
    ``task_prerun`` and again on ``task_postrun``."""
    for _ in ("prerun", "postrun"):
        fixup.close_database()
        _close_old_connections(task=TASK)


def live_connection():
    connection.ensure_connection()
    return connection.connection


@pytest.fixture
def kept_connections():
    max_age = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 60
    connection.close()  # the next connection gets the 60-second lifetime
    yield
    connection.settings_dict["CONN_MAX_AGE"] = max_age
    connection.close()


def test_celery_is_told_not_to_close_the_connection_after_every_task():
    assert app.conf.get("CELERY_DB_REUSE_MAX") >= 100


def test_a_connection_serves_many_tasks(kept_connections):
    fixup = DjangoWorkerFixup(app)
    first = live_connection()
    for _ in range(20):
        run_task_signals(fixup)
        assert live_connection() is first


def test_a_broken_connection_is_replaced_before_the_next_task(kept_connections):
    fixup = DjangoWorkerFixup(app)
    broken = live_connection()
    broken.close()  # as a database restart leaves it
    connection.errors_occurred = True
    run_task_signals(fixup)
    assert connection.connection is None
    assert live_connection() is not broken
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_an_old_connection_is_closed_after_its_task(kept_connections):
    fixup = DjangoWorkerFixup(app)
    live_connection()
    connection.close_at = 0  # older than CONN_MAX_AGE
    run_task_signals(fixup)
    assert connection.connection is None


def test_tasks_run_inline_leave_the_callers_connection_alone(kept_connections):
    first = live_connection()
    connection.close_at = 0
    _close_old_connections(task=SimpleNamespace(request=SimpleNamespace(is_eager=True)))
    assert connection.connection is first


def test_a_repeated_statement_is_prepared_once_per_connection(kept_connections):
    """Server-side binding and psycopg's prepare threshold: PostgreSQL plans a statement the
    connection runs again and again once, not on every run."""
    from recordings.models import Ingest

    assert connection.settings_dict["OPTIONS"].get("server_side_binding") is True

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements "
                           "WHERE statement LIKE %s", ['%"recordings_ingest"%'])
            return cursor.fetchone()[0]

    live_connection()
    assert prepared() == 0
    for n in range(8):
        list(Ingest.unscoped.filter(call_id=f"call-{n}", sha256="0" * 64))
    assert prepared() == 1
