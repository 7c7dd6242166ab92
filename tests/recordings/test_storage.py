"""The local store: atomic writes, ranges, keys that cannot leave the root."""

import pytest

from recordings import storage


def test_local_store_writes_atomically_and_reads_ranges(tmp_path):
    store = storage.LocalStore(tmp_path / "store")
    source = tmp_path / "a.bin"
    source.write_bytes(bytes(range(256)) * 1000)
    store.put_file("tenants/1/recordings/2026/11/a.wav", source)
    assert store.head("tenants/1/recordings/2026/11/a.wav").size == 256000
    assert [p.name for p in (tmp_path / "store/tenants/1/recordings/2026/11").iterdir()] == [
        "a.wav"], "no temporary file left"
    part = store.get_range("tenants/1/recordings/2026/11/a.wav", 1000, 1999)
    assert part.length == 1000 and part.total == 256000
    assert b"".join(part.chunks) == source.read_bytes()[1000:2000]
    whole = store.get_range("tenants/1/recordings/2026/11/a.wav")
    assert b"".join(whole.chunks) == source.read_bytes()
    store.delete("tenants/1/recordings/2026/11/a.wav")
    assert store.head("tenants/1/recordings/2026/11/a.wav") is None
    store.delete("tenants/1/recordings/2026/11/a.wav")


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "", "a/../../b"])
def test_local_store_refuses_keys_outside_its_root(tmp_path, key):
    with pytest.raises(ValueError):
        storage.LocalStore(tmp_path).path(key)


def test_recording_keys_are_deterministic_and_tenant_scoped():
    import datetime
    import uuid

    ingest_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    started = datetime.datetime(2026, 1, 1, 0, 30, tzinfo=datetime.timezone(
        datetime.timedelta(hours=1)))
    key = storage.recording_key(tenant_id=7, started_at=started, ingest_id=ingest_id,
                                extension=".wav")
    assert key == f"tenants/7/recordings/2025/12/{ingest_id}.wav", "by the UTC month"


def test_local_store_refuses_bytes_that_differ_from_the_checksum(tmp_path):
    import hashlib

    store = storage.LocalStore(tmp_path / "store")
    source = tmp_path / "a.wav"
    source.write_bytes(b"RIFF" + bytes(100))
    with pytest.raises(storage.ChecksumMismatch):
        store.put_file("k.wav", source, sha256=hashlib.sha256(b"other").hexdigest())
    assert store.head("k.wav") is None
    assert not list((tmp_path / "store").glob("**/*.tmp")), "no temporary file left"
    store.put_file("k.wav", source, sha256=hashlib.sha256(source.read_bytes()).hexdigest())
    assert store.head("k.wav").size == 104
