"""recordings.audio: what is accepted, what is rejected and why, truncation, waveform peaks.

Plain functions over files in tmp_path; no database.
"""

import hashlib
import pickle
import shutil
import tracemalloc

import numpy as np
import pytest
import soundfile

from recordings import audio
from recordings.audio import REJECTION_CODES, AudioRejected, analyse, probe, sha256_file
from tests import audio_samples as samples

MEDIA = {
    "wav": ("audio/wav", ".wav"),
    "mp3": ("audio/mpeg", ".mp3"),
    "ogg": ("audio/ogg", ".ogg"),
    "flac": ("audio/flac", ".flac"),
}
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def assert_complete(path, result, *, container, codec, rate, channels, seconds, tolerance=0.01):
    """The common promises for a complete, accepted recording."""
    info = result.info
    assert (info.container, info.codec) == (container, codec)
    assert (info.sample_rate, info.channels) == (rate, channels)
    assert info.duration == pytest.approx(seconds, abs=tolerance)
    assert info.duration == info.frames / info.sample_rate
    assert (info.truncated, info.truncation_detail) == (False, "")
    assert (info.mime_type, info.extension) == MEDIA[container]
    data = path.read_bytes()
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(data)
    assert len(result.peaks) == 800
    assert all(0.0 <= p <= 1.0 and round(p, 3) == p for p in result.peaks)
    assert 0.3 < max(result.peaks) < 0.95  # the speech-like signal peaks at about 0.6
    assert probe(path) == info


ACCEPTED = [
    pytest.param(samples.pcm_wav, {}, "wav", "pcm_s16le", 8000, 1, 3.0, id="pcm16-8k"),
    pytest.param(samples.pcm_wav, {"rate": 16000}, "wav", "pcm_s16le", 16000, 1, 3.0, id="16k"),
    pytest.param(samples.pcm_wav, {"rate": 48000}, "wav", "pcm_s16le", 48000, 1, 3.0, id="48k"),
    pytest.param(
        samples.pcm_wav, {"channels": 2}, "wav", "pcm_s16le", 8000, 2, 3.0, id="pcm16-stereo"
    ),
    pytest.param(
        samples.pcm_wav,
        {"rate": 48000, "channels": 2},
        "wav",
        "pcm_s16le",
        48000,
        2,
        3.0,
        id="48k-stereo",
    ),
    pytest.param(samples.pcm_wav, {"subtype": "PCM_U8"}, "wav", "pcm_u8", 8000, 1, 3.0, id="u8"),
    pytest.param(samples.pcm_wav, {"subtype": "PCM_24"}, "wav", "pcm_s24le", 8000, 1, 3.0, id="24"),
    pytest.param(samples.pcm_wav, {"subtype": "FLOAT"}, "wav", "pcm_f32le", 8000, 1, 3.0, id="f32"),
    pytest.param(samples.mulaw_wav, {}, "wav", "mulaw", 8000, 1, 3.0, id="mulaw"),
    pytest.param(samples.alaw_wav, {}, "wav", "alaw", 8000, 1, 3.0, id="alaw"),
    # GSM 6.10 codes blocks of 320 samples: 24000 samples fill 76 blocks = 24320 samples
    pytest.param(samples.gsm_wav, {}, "wav", "gsm610", 8000, 1, 3.04, id="gsm610"),
    pytest.param(samples.rf64_wav, {}, "wav", "pcm_s16le", 8000, 1, 3.0, id="rf64"),
    pytest.param(samples.mp3, {}, "mp3", "mp3", 8000, 1, 3.0, id="mp3"),
    pytest.param(
        samples.mp3, {"rate": 16000, "channels": 2}, "mp3", "mp3", 16000, 2, 3.0, id="mp3-stereo"
    ),
    pytest.param(samples.mp3_with_tags, {}, "mp3", "mp3", 8000, 1, 3.0, id="mp3-id3-tags"),
    pytest.param(samples.ogg_opus, {}, "ogg", "opus", 8000, 1, 3.0, id="opus"),
    pytest.param(
        samples.ogg_opus, {"rate": 48000, "channels": 2}, "ogg", "opus", 48000, 2, 3.0, id="opus48"
    ),
    pytest.param(samples.ogg_vorbis, {}, "ogg", "vorbis", 8000, 1, 3.0, id="vorbis"),
    pytest.param(samples.flac, {}, "flac", "flac", 8000, 1, 3.0, id="flac"),
    pytest.param(
        samples.flac,
        {"rate": 48000, "channels": 2},
        "flac",
        "flac",
        48000,
        2,
        3.0,
        id="flac48-stereo",
    ),
]


@pytest.mark.parametrize(
    ("make", "options", "container", "codec", "rate", "channels", "seconds"), ACCEPTED
)
def test_accepts_what_telephony_systems_write(
    tmp_path, make, options, container, codec, rate, channels, seconds
):
    path = make(tmp_path, **options)
    result = analyse(path)
    assert_complete(
        path,
        result,
        container=container,
        codec=codec,
        rate=rate,
        channels=channels,
        seconds=seconds,
    )


@pytest.mark.parametrize("declared", [0xFFFFFFFF, 0], ids=["ffffffff", "zero"])
def test_counts_a_streaming_wav_whose_sizes_were_never_written(tmp_path, declared):
    path = samples.streaming_wav(tmp_path, declared=declared)
    assert_complete(
        path, analyse(path), container="wav", codec="pcm_s16le", rate=8000, channels=1, seconds=3.0
    )


def test_counts_an_unfinalised_rf64_whose_ds64_size_is_zero(tmp_path):
    path = samples.rf64_wav(tmp_path, finalised=False)
    assert soundfile.info(str(path)).frames == 0  # what libsndfile alone would make of it
    assert_complete(
        path, analyse(path), container="wav", codec="pcm_s16le", rate=8000, channels=1, seconds=3.0
    )


def test_reads_a_vbr_mp3_without_xing_header_to_its_end(tmp_path):
    path = samples.mp3_without_xing(tmp_path, seconds=20)
    # half a second of noise + 20 s of speech, plus the decoder's delay of a few frames
    assert soundfile.info(str(path)).frames < 0.8 * 20.5 * 8000  # libsndfile's guess falls short
    assert_complete(
        path,
        analyse(path),
        container="mp3",
        codec="mp3",
        rate=8000,
        channels=1,
        seconds=20.5,
        tolerance=0.15,
    )


def test_reads_a_flac_of_unknown_length(tmp_path):
    path = samples.flac_unknown_length(tmp_path)
    assert_complete(
        path, analyse(path), container="flac", codec="flac", rate=8000, channels=1, seconds=3.0
    )


def test_does_not_need_a_file_extension(tmp_path):
    for make in (samples.pcm_wav, samples.mp3, samples.ogg_opus, samples.flac, samples.gsm_wav):
        path = make(tmp_path)
        upload = path.rename(tmp_path / "upload-0001")
        info = probe(str(upload))
        assert info.duration == pytest.approx(3.0, abs=0.05) and not info.truncated


# --- rejections ------------------------------------------------------------------------------

REJECTED = [
    pytest.param(samples.empty_file, "empty", id="zero-bytes"),
    pytest.param(samples.header_only_wav, "empty", id="wav-without-frames"),
    pytest.param(samples.text_file, "not_audio", id="text"),
    pytest.param(samples.pdf_file, "not_audio", id="pdf"),
    pytest.param(samples.random_bytes, "not_audio", id="random-bytes"),
    pytest.param(samples.corrupt_wav, "corrupt", id="wav-header-then-garbage"),
    pytest.param(samples.corrupt_mp3, "corrupt", id="id3-then-garbage"),
    pytest.param(samples.corrupt_flac, "corrupt", id="flac-garbage-frames"),
    pytest.param(samples.corrupt_ogg, "corrupt", id="ogg-unknown-stream"),
    pytest.param(samples.unsupported_wav, "unsupported_format", id="ima-adpcm-wav"),
    pytest.param(
        lambda d: samples.unsupported_wav(d, "PCM_32"), "unsupported_format", id="pcm32-wav"
    ),
    pytest.param(samples.aiff, "unsupported_format", id="aiff"),
    pytest.param(samples.mp2, "unsupported_format", id="mpeg-layer2", marks=needs_ffmpeg),
]


@pytest.mark.parametrize(("make", "code"), REJECTED)
def test_rejects_with_a_reason_code(tmp_path, make, code):
    path = make(tmp_path)
    for call in (probe, analyse):
        with pytest.raises(AudioRejected) as caught:
            call(path)
        assert caught.value.code == code
        assert caught.value.detail and str(caught.value).startswith(f"{code}: ")


def test_rejects_other_non_audio_by_signature(tmp_path):
    cases = {
        b"\x89PNG\r\n\x1a\n" + bytes(200): "PNG image",
        b"PK\x03\x04" + bytes(200): "ZIP archive",
        b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(200): "not WAVE",
    }
    for content, described in cases.items():
        path = tmp_path / "upload"
        path.write_bytes(content)
        with pytest.raises(AudioRejected) as caught:
            probe(path)
        assert caught.value.code == "not_audio" and described in caught.value.detail


def test_rejects_a_wav_cut_inside_its_header_as_corrupt(tmp_path):
    path = samples.pcm_wav(tmp_path)
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(AudioRejected) as caught:
        probe(path)
    assert caught.value.code == "corrupt"


def test_rejects_a_recording_cut_before_its_first_frame_as_corrupt(tmp_path):
    path = samples.pcm_wav(tmp_path)
    path.write_bytes(path.read_bytes()[:44])  # the header declares 48000 bytes; none follow
    with pytest.raises(AudioRejected) as caught:
        probe(path)
    assert caught.value.code == "corrupt"


def test_rejection_survives_pickling_for_the_task_queue():
    error = pickle.loads(pickle.dumps(AudioRejected("corrupt", "No audio decodes.")))
    assert (error.code, error.detail) == ("corrupt", "No audio decodes.")
    assert set(REJECTION_CODES) == {"empty", "not_audio", "corrupt", "unsupported_format"}
    with pytest.raises(ValueError):
        AudioRejected("too_loud", "not a code")


def test_a_missing_file_is_an_os_error_not_a_rejection(tmp_path):
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "gone.wav")


# --- truncation ------------------------------------------------------------------------------

TRUNCATED = [
    pytest.param(samples.truncated_wav, "wav", 4.0, "declares", id="wav"),
    pytest.param(samples.truncated_mp3, "mp3", 6.0, "MPEG frame is cut off", id="mp3"),
    pytest.param(samples.truncated_flac, "flac", 6.0, "frames the header announces", id="flac"),
    pytest.param(samples.truncated_ogg, "ogg", 20.0, "Ogg page is cut off", id="opus"),
    pytest.param(
        lambda d: samples.truncated_ogg(d, subtype="VORBIS"),
        "ogg",
        20.0,
        "Ogg page is cut off",
        id="vorbis",
    ),
]


@pytest.mark.parametrize(("make", "container", "full_seconds", "reason"), TRUNCATED)
def test_keeps_what_decodes_of_a_truncated_recording(
    tmp_path, make, container, full_seconds, reason
):
    path = make(tmp_path)
    result = analyse(path)
    info = result.info
    assert info.container == container
    assert info.truncated and reason in info.truncation_detail
    assert 0.3 * full_seconds < info.duration < 0.8 * full_seconds  # 50-60 % of bytes kept
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(result.peaks) == 800 and max(result.peaks) > 0.3
    assert probe(path) == info


def test_a_truncated_wav_measures_exactly_the_frames_present(tmp_path):
    path = samples.truncated_wav(tmp_path, seconds=4, keep=0.5)
    present = (path.stat().st_size - 44) // 2
    assert probe(path).frames == present


def test_an_ogg_without_end_of_stream_page_is_truncated(tmp_path):
    path = samples.ogg_opus(tmp_path, seconds=20)
    data = path.read_bytes()
    last_page = data.rindex(b"OggS")
    path.write_bytes(data[:last_page])  # cut exactly at a page boundary
    info = probe(path)
    assert info.truncated and "end-of-stream" in info.truncation_detail
    assert 5 < info.duration < 20


def test_an_mp3_cut_on_a_frame_boundary_is_truncated_by_its_xing_count(tmp_path):
    path = samples.mp3(tmp_path, seconds=6)
    data = path.read_bytes()
    cut = 0
    while cut < len(data) // 2:  # walk whole frames to the middle
        cut += samples._mpeg_frame_length(data[cut : cut + 4])
    path.write_bytes(data[:cut])
    info = probe(path)
    assert info.truncated and "announces" in info.truncation_detail
    assert "cut off" not in info.truncation_detail


# --- waveform peaks --------------------------------------------------------------------------


def exact_peaks(path, buckets):
    data, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    amplitude = np.abs(data).max(axis=1)
    n = len(amplitude)
    return np.array(
        [
            amplitude[i * n // buckets : max(i * n // buckets + 1, (i + 1) * n // buckets)].max()
            for i in range(buckets)
        ]
    )


def test_peaks_are_the_loudest_sample_of_each_stretch(tmp_path):
    path = samples.pcm_wav(tmp_path, seconds=3)
    np.testing.assert_allclose(
        analyse(path, buckets=300).peaks, exact_peaks(path, 300), atol=0.0006
    )


def test_peaks_follow_the_loudness_over_time(tmp_path):
    rate = 8000
    speech = np.concatenate(list(samples.speech_like(2, rate)))
    signal = np.concatenate([np.zeros(2 * rate, dtype=np.float32), speech])
    path = tmp_path / "late.wav"
    soundfile.write(path, signal, rate)
    peaks = analyse(path, buckets=100).peaks
    assert max(peaks[:50]) == 0.0
    assert min(max(peaks[i : i + 5]) for i in range(50, 100, 5)) > 0.2


def test_peaks_take_the_loudest_channel(tmp_path):
    rate = 8000
    speech = np.concatenate(list(samples.speech_like(2, rate)))
    stereo = np.stack([np.zeros_like(speech), speech], axis=1)
    path = tmp_path / "right_only.wav"
    soundfile.write(path, stereo, rate)
    result = analyse(path, buckets=50)
    assert result.info.channels == 2
    np.testing.assert_allclose(result.peaks, exact_peaks(path, 50), atol=0.0006)
    assert max(result.peaks) > 0.5


def test_peaks_stay_within_0_and_1_for_clipping_float_audio(tmp_path):
    path = tmp_path / "hot.wav"
    soundfile.write(path, np.full(8000, 1.7, dtype=np.float32), 8000, subtype="FLOAT")
    assert analyse(path, buckets=10).peaks == [1.0] * 10


def test_more_buckets_than_frames_still_gives_one_value_per_bucket(tmp_path):
    path = tmp_path / "blip.wav"
    soundfile.write(path, np.linspace(0, 0.5, 100, dtype=np.float32), 8000)
    peaks = analyse(path, buckets=800).peaks
    assert len(peaks) == 800 and peaks[0] == 0.0 and peaks[-1] == 0.5


def test_fine_peaks_stay_aligned_through_merges(monkeypatch):
    # a tiny run limit forces many pairwise merges, odd counts included, at any block size
    monkeypatch.setattr(audio.peaks, "PEAK_RUNS", 16)
    rng = np.random.default_rng(1)
    amplitude = rng.random(10_007).astype(np.float32)
    runs = audio._PeakRuns()
    fed = 0
    while fed < len(amplitude):
        size = int(rng.integers(1, 300))
        runs.add(amplitude[fed : fed + size])
        fed += size
    span, count = runs.span, runs.count
    assert count <= 16 and runs.frames == len(amplitude)
    assert count * span + runs.tail_frames == len(amplitude)
    for j in range(count):
        assert runs.runs[j] == amplitude[j * span : (j + 1) * span].max()
    assert runs.tail == amplitude[count * span :].max()
    peaks = runs.peaks(7)
    bounds = [i * len(amplitude) // 7 for i in range(8)]
    for i, peak in enumerate(peaks):
        own = amplitude[bounds[i] : bounds[i + 1]].max()
        assert own - 0.0006 <= peak <= amplitude.max() + 0.0006


def test_buckets_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        analyse(samples.pcm_wav(tmp_path), buckets=0)


def test_sha256_file_is_the_digest_of_the_bytes_received(tmp_path):
    path = samples.random_bytes(tmp_path, size=100_003)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert sha256_file(path) == sha256_file(str(path), chunk_size=7) == expected


# --- long recordings -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def twenty_minute_call(tmp_path_factory):
    return samples.call_recording(tmp_path_factory.mktemp("long"), 20 * 60)


def test_a_twenty_minute_call_is_measured_and_drawn(twenty_minute_call):
    result = analyse(twenty_minute_call)
    assert result.info.frames == 20 * 60 * 8000 and not result.info.truncated
    peaks = np.array(result.peaks)
    exact = exact_peaks(twenty_minute_call, 800)
    # the fine runs behind the peaks straddle bucket edges: a peak may include a few frames of
    # a neighbouring bucket, never miss any of its own
    assert (peaks >= exact - 0.0006).all()
    neighbourhood = np.maximum.reduce([np.roll(exact, 1), exact, np.roll(exact, -1)])
    assert (peaks <= neighbourhood + 0.0006).all()
    assert np.abs(peaks - exact).mean() < 0.01


def traced_peak(function, *args):
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_on_a_long_call(tmp_path, twenty_minute_call):
    decoded_bytes = 20 * 60 * 8000 * 4  # what the whole call decodes to as float32
    long_peak = traced_peak(analyse, twenty_minute_call)
    short_peak = traced_peak(analyse, samples.call_recording(tmp_path, 2 * 60))
    assert long_peak < decoded_bytes / 16
    assert long_peak < 2 * 1024 * 1024  # a decoding block and the fine peaks, whatever the length
    assert long_peak < 1.2 * short_peak  # ten times the audio, not more memory


# --- damaged input ---------------------------------------------------------------------------

DAMAGEABLE = [
    samples.pcm_wav,
    samples.gsm_wav,
    samples.rf64_wav,
    samples.mp3,
    samples.mp3_with_tags,
    samples.ogg_opus,
    samples.ogg_vorbis,
    samples.flac,
]


@pytest.mark.parametrize("make", DAMAGEABLE, ids=lambda make: make.__name__)
def test_damaged_input_is_measured_or_rejected_never_an_error(tmp_path, make):
    data = make(tmp_path).read_bytes()
    rng = np.random.default_rng(len(data))
    damaged = tmp_path / "damaged"
    for trial in range(30):
        content = bytearray(data)
        if trial < 15:
            content = content[: len(data) * trial // 15 + int(rng.integers(0, 64))]
        else:
            for at in rng.integers(0, len(data), size=int(rng.integers(1, 12))):
                content[at] = int(rng.integers(0, 256))
        damaged.write_bytes(bytes(content))
        try:
            result = analyse(damaged, buckets=50)
        except AudioRejected as rejected:
            assert rejected.code in REJECTION_CODES and rejected.detail
        else:
            assert result.info.frames > 0 and len(result.peaks) == 50
            assert result.info.truncated == bool(result.info.truncation_detail)


@pytest.mark.parametrize("frames", [1, 5, 799, 800, 801, 10_007, 65_537, 200_003])
@pytest.mark.parametrize("buckets", [1, 7, 800, 2000])
def test_each_bucket_is_the_largest_run_it_touches(monkeypatch, frames, buckets):
    # the vectorised bucket maxima against the definition, one bucket at a time
    monkeypatch.setattr(audio.peaks, "PEAK_RUNS", 64)
    amplitude = np.random.default_rng(frames + buckets).random(frames).astype(np.float32)
    runs = audio._PeakRuns()
    for start in range(0, frames, 4096):
        runs.add(amplitude[start : start + 4096])
    values = runs.runs[: runs.count]
    if runs.tail_frames:
        values = np.append(values, np.float32(runs.tail))
    expected = []
    for i in range(buckets):
        first = i * frames // buckets
        last = max(first, (i + 1) * frames // buckets - 1)
        expected.append(round(float(values[first // runs.span : last // runs.span + 1].max()), 3))
    assert runs.peaks(buckets) == expected
