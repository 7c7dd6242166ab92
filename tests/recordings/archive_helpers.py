"""Helpers of the archive tests: recordings whose audio really is in the store."""

from recordings.storage import get_store

from .test_customer_api import make_recording


def stored_recording(tenant, tmp_path, data: bytes, extension="201", **fields):
    """A recording row plus ``data`` as its audio in the (local) store."""
    recording = make_recording(
        tenant, extension, mime_type="audio/wav", file_extension=".wav", **fields
    )
    recording.size = len(data)
    recording.save(update_fields=["size"])
    source = tmp_path / f"audio-{recording.pk}.bin"
    source.write_bytes(data)
    get_store().put_file(recording.storage_key, source)
    return recording
