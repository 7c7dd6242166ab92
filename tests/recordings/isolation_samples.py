"""One call, one ingest and one recording of ``tenant`` for tests/test_isolation.py."""

from tests.factories import RecordingFactory


def build(*, tenant, node, admin) -> dict:
    recording = RecordingFactory(tenant=tenant, call__call_id="iso-call-1", ingest__node=node,
                                 sha256="a" * 64, size=44, duration=1.0, peaks=[])
    return {"call_id": recording.call.call_id, "ingest_id": str(recording.ingest.ingest_id),
            "recording_id": recording.pk}
