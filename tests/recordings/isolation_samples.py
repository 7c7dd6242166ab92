"""One call, one ingest and one recording of ``tenant`` for tests/test_isolation.py (its audio
is put into the configured store, so that the audio endpoints answer for the owner)."""

import tempfile

from django.utils import timezone

from recordings.models import Call, Export, Ingest, Recording, SubjectRequest
from recordings.storage import get_store

AUDIO = b"RIFF" + bytes(40)


def build(*, tenant, node, admin) -> dict:
    started = timezone.now()
    call = Call.unscoped.create(tenant=tenant, call_id="iso-call-1", extension="201",
                                direction="inbound", remote_number="+49301234567",
                                started_at=started)
    ingest = Ingest.unscoped.create(tenant=tenant, node=node, source="push",
                                    call_id=call.call_id, extension="201", sha256="a" * 64,
                                    size=44, status="stored", metadata={})
    recording = Recording.unscoped.create(
        tenant=tenant, call=call, pbx_call_id=call.call_id, ingest=ingest, extension="201",
        direction="inbound", remote_number="+49301234567", started_at=started, duration=1.0,
        kind="auto", sha256="a" * 64, size=44,
        storage_key=f"tenants/{tenant.pk}/recordings/{started:%Y}/{started:%m}/"
                    f"{ingest.ingest_id}.wav",
    )
    Ingest.unscoped.filter(pk=ingest.pk).update(recording=recording)
    with tempfile.NamedTemporaryFile() as audio:
        audio.write(AUDIO)
        audio.flush()
        get_store().put_file(recording.storage_key, audio.name)
    # The archive: an export and a data-subject request.
    export = Export.unscoped.create(tenant=tenant, created_by=admin,
                                    recording_ids=[recording.pk], total=1)
    subject = SubjectRequest.unscoped.create(tenant=tenant, created_by=admin,
                                             number="030 1234567", number_e164="+49301234567",
                                             kind="erasure")
    return {"call_id": call.call_id, "ingest_id": str(ingest.ingest_id),
            "recording_id": recording.pk, "export_id": str(export.export_id),
            "request_id": subject.pk}
