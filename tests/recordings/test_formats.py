"""Every format telephony systems write is stored; every rejection has its reason code; a
truncated recording is kept and flagged."""

import hashlib

import pytest

from recordings.storage import get_store
from tests import audio_samples

from .conftest import audit_actions

pytestmark = pytest.mark.django_db

ACCEPTED = [
    ("pcm 8 kHz mono", lambda d: audio_samples.pcm_wav(d, rate=8000), "wav", "pcm_s16le", 8000, 1),
    ("pcm 16 kHz mono", lambda d: audio_samples.pcm_wav(d, rate=16000), "wav", "pcm_s16le", 16000,
     1),
    ("pcm 48 kHz stereo", lambda d: audio_samples.pcm_wav(d, rate=48000, channels=2), "wav",
     "pcm_s16le", 48000, 2),
    ("pcm 8 kHz stereo", lambda d: audio_samples.pcm_wav(d, rate=8000, channels=2), "wav",
     "pcm_s16le", 8000, 2),
    ("g711 mu-law", audio_samples.mulaw_wav, "wav", "mulaw", 8000, 1),
    ("g711 a-law", audio_samples.alaw_wav, "wav", "alaw", 8000, 1),
    ("gsm 6.10", audio_samples.gsm_wav, "wav", "gsm610", 8000, 1),
    ("mp3", audio_samples.mp3, "mp3", "mp3", 8000, 1),
    ("ogg opus", audio_samples.ogg_opus, "ogg", "opus", None, 1),
    ("flac", audio_samples.flac, "flac", "flac", 8000, 1),
]


@pytest.mark.parametrize("label,make,container,codec,rate,channels", ACCEPTED,
                         ids=[a[0] for a in ACCEPTED])
def test_accepted_format_is_stored_with_its_facts(ingest_file, sample_dir, monitor_201, label,
                                                  make, container, codec, rate, channels):
    path = make(sample_dir)
    ingest = ingest_file(path)
    assert ingest.status == "stored", (ingest.reason, ingest.reason_detail)
    recording = ingest.recording
    assert recording.container == container and recording.codec == codec
    if rate:
        assert recording.sample_rate == rate
    assert recording.channels == channels
    assert 2.5 < recording.duration < 3.5
    assert recording.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert recording.size == path.stat().st_size
    assert len(recording.peaks) > 100 and max(recording.peaks) > 0
    assert not recording.truncated and not recording.policy_violation
    key = recording.storage_key
    assert key.startswith(f"tenants/{recording.tenant_id}/recordings/")
    assert key.endswith(f"{ingest.ingest_id}{recording.file_extension}")
    stored = get_store().path(key).read_bytes()
    assert stored == path.read_bytes()
    assert "recording.ingested" in audit_actions(recording.tenant_id)


REJECTED = [
    ("empty", audio_samples.empty_file),
    ("not_audio", audio_samples.text_file),
    ("not_audio", audio_samples.pdf_file),
    ("not_audio", audio_samples.random_bytes),
    ("corrupt", audio_samples.corrupt_wav),
    ("corrupt", audio_samples.corrupt_mp3),
    ("unsupported_format", audio_samples.unsupported_wav),
]


@pytest.mark.parametrize("code,make", REJECTED, ids=[f"{c}-{m.__name__}" for c, m in REJECTED])
def test_rejected_input_ends_rejected_with_its_code_and_is_kept(ingest_file, sample_dir,
                                                                 monitor_201, code, make):
    from recordings import staging

    ingest = ingest_file(make(sample_dir))
    assert ingest.status == "rejected" and ingest.reason == code
    assert ingest.reason_detail
    assert ingest.recording is None
    assert staging.path(ingest.staged_path).exists(), "kept for inspection"
    assert audit_actions(ingest.tenant_id, "recording.rejected") == ["recording.rejected"]


@pytest.mark.parametrize("make", [audio_samples.truncated_wav, audio_samples.truncated_mp3,
                                  audio_samples.truncated_flac])
def test_truncated_recording_is_kept_and_flagged(ingest_file, sample_dir, monitor_201, make):
    ingest = ingest_file(make(sample_dir))
    assert ingest.status == "stored"
    recording = ingest.recording
    assert recording.truncated and recording.truncation_detail
    assert recording.duration > 0
    assert get_store().head(recording.storage_key).size == recording.size
