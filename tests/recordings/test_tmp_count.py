import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db(transaction=True)


def test_count(push, wav, monitor_201, settings):
    settings.INGEST_EXPRESS = True
    push(wav, call_id="warm")
    with CaptureQueriesContext(connection) as q:
        r = push(wav, call_id="count-1")
    assert r.json()["status"] == "stored"
    for s in q.captured_queries:
        print(s["time"], s["sql"][:150])
    print(len(q.captured_queries))
