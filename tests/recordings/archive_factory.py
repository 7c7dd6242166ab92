"""Stored recordings for the archive tests: real bytes in the recordings store (local files,
or S3 when the test uses the ``s3`` fixture) and the rows the pipeline would write."""

import hashlib
import itertools
import tempfile
from datetime import timedelta

from django.utils import timezone

from recordings.models import Call, Ingest, Recording
from recordings.storage import get_store, recording_key

_numbers = itertools.count(1)


def make_recording(
    tenant,
    *,
    extension="201",
    days_ago=1,
    kind="auto",
    remote_number="+49301234567",
    audio=None,
    legal_hold=False,
    consent="unknown",
    pbx_user=None,
):
    n = next(_numbers)
    started = timezone.now() - timedelta(days=days_ago, minutes=n)
    audio = audio if audio is not None else (b"RIFF" + bytes([n % 256]) * 2000 + b"%d" % n)
    sha256 = hashlib.sha256(audio).hexdigest()
    call = Call.unscoped.create(
        tenant=tenant,
        call_id=f"arch-{n}",
        extension=extension,
        direction="inbound",
        remote_number=remote_number,
        remote_number_raw=remote_number,
        started_at=started,
        consent=consent,
    )
    ingest = Ingest.unscoped.create(
        tenant=tenant,
        source="push",
        call_id=call.call_id,
        extension=extension,
        sha256=sha256,
        size=len(audio),
        status="stored",
        metadata={"remote_number": remote_number},
    )
    key = recording_key(
        tenant_id=tenant.pk, started_at=started, ingest_id=ingest.ingest_id, extension=".wav"
    )
    with tempfile.NamedTemporaryFile() as fh:
        fh.write(audio)
        fh.flush()
        get_store().put_file(key, fh.name)
    recording = Recording.unscoped.create(
        tenant=tenant,
        call=call,
        pbx_call_id=call.call_id,
        ingest=ingest,
        extension=extension,
        pbx_user=pbx_user,
        direction="inbound",
        remote_number=remote_number,
        remote_number_raw=remote_number,
        started_at=started,
        duration=12.5,
        kind=kind,
        consent=consent,
        sha256=sha256,
        size=len(audio),
        storage_key=key,
        container="wav",
        mime_type="audio/wav",
        file_extension=".wav",
        legal_hold=legal_hold,
    )
    Ingest.unscoped.filter(pk=ingest.pk).update(recording=recording)
    return recording


def stored(recording) -> bool:
    return get_store().head(recording.storage_key) is not None
