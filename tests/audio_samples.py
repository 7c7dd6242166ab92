"""Sample recordings for tests and benchmarks, generated on the spot.

Every function writes one file into ``directory`` and returns its ``Path``. The audio is a
synthetic, deterministic speech-like signal (a gliding voiced pitch with a few harmonics,
shaped into syllables, words and pauses), written by soundfile/libsndfile, so no external
tool is needed. Long files are generated and written in chunks, so memory stays flat.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import soundfile

CHUNK_SECONDS = 10
_HARMONICS = (1.0, 0.7, 0.5, 0.35, 0.25, 0.15)


def speech_like(seconds: float, rate: int = 8000, *, seed: int = 0):
    """Yield float32 chunks of a speech-like mono signal (peak about 0.8) of ``seconds``."""
    rng = np.random.default_rng(seed)
    total = round(seconds * rate)
    offset = 0.37 * seed  # another voice for another seed
    chunk = CHUNK_SECONDS * rate
    phase = 0.0
    for begin in range(0, total, chunk):
        n = min(chunk, total - begin)
        t = (begin + np.arange(n)) / rate + offset
        pitch = 150 + 35 * np.sin(2 * np.pi * 0.31 * t) + 12 * np.sin(2 * np.pi * 2.3 * t)
        voice_phase = phase + 2 * np.pi * np.cumsum(pitch) / rate
        phase = float(voice_phase[-1])
        voice = np.zeros(n)
        for k, weight in enumerate(_HARMONICS, start=1):
            if k * 200 < rate / 2:
                voice += weight * np.sin(k * voice_phase)
        syllables = (0.5 - 0.5 * np.cos(2 * np.pi * 3.7 * t)) ** 1.5
        words = np.clip(
            2.5 * (np.sin(2 * np.pi * 0.23 * t) + 0.6 * np.sin(2 * np.pi * 0.71 * t)), 0, 1
        )
        signal = 0.27 * voice * syllables * (0.4 + 0.6 * words)
        signal += rng.normal(0, 0.003, n)  # line noise
        yield signal.astype(np.float32)


def _write(
    path: Path,
    rate: int,
    channels: int,
    seconds: float,
    *,
    format: str,
    subtype: str | None,
    lead_in: np.ndarray | None = None,
    **options,
) -> Path:
    with soundfile.SoundFile(
        path, "w", rate, channels, subtype=subtype, format=format, **options
    ) as f:
        if lead_in is not None:
            f.write(np.repeat(lead_in[:, None], channels, axis=1))
        voices = [speech_like(seconds, rate, seed=c) for c in range(channels)]
        for chunks in zip(*voices, strict=True):
            f.write(np.stack(chunks, axis=1) * (1.0 if channels == 1 else 0.8))
    return path


def pcm_wav(directory, rate=8000, channels=1, seconds=3, subtype="PCM_16", name=None) -> Path:
    """A PCM (or float, with ``subtype="FLOAT"``) WAV."""
    name = name or f"pcm_{subtype.lower()}_{rate}_{channels}ch.wav"
    return _write(Path(directory) / name, rate, channels, seconds, format="WAV", subtype=subtype)


def mulaw_wav(directory, rate=8000, channels=1, seconds=3) -> Path:
    return _write(
        Path(directory) / "mulaw.wav", rate, channels, seconds, format="WAV", subtype="ULAW"
    )


def alaw_wav(directory, rate=8000, channels=1, seconds=3) -> Path:
    return _write(
        Path(directory) / "alaw.wav", rate, channels, seconds, format="WAV", subtype="ALAW"
    )


def gsm_wav(directory, seconds=3) -> Path:
    """GSM 6.10 in WAV (format tag 0x31, as Asterisk's WAV49): 8 kHz mono only."""
    return _write(Path(directory) / "gsm.wav", 8000, 1, seconds, format="WAV", subtype="GSM610")


def mp3(directory, rate=8000, channels=1, seconds=3, name="sample.mp3", **options) -> Path:
    """An MP3 as libsndfile/LAME writes it (with a Xing/LAME header in its first frame)."""
    return _write(
        Path(directory) / name,
        rate,
        channels,
        seconds,
        format="MP3",
        subtype="MPEG_LAYER_III",
        **options,
    )


def mp3_without_xing(directory, seconds=20, rate=8000) -> Path:
    """A VBR MP3 with no Xing header whose first frames cost more bits than the rest.

    It starts with half a second of loud noise, then speech. Without a Xing header libsndfile
    guesses the length from the first frame's (high) bitrate - well short of the truth - and
    on its own stops reading there.
    """
    noise = np.random.default_rng(11).uniform(-0.5, 0.5, rate // 2).astype(np.float32)
    path = _write(
        Path(directory) / "vbr_no_xing.mp3",
        rate,
        1,
        seconds,
        format="MP3",
        subtype="MPEG_LAYER_III",
        lead_in=noise,
        compression_level=0.3,
        bitrate_mode="VARIABLE",
    )
    data = path.read_bytes()
    first = _mpeg_frame_length(data[:4])
    assert b"Xing" in data[:first] or b"Info" in data[:first], "expected a Xing frame to drop"
    path.write_bytes(data[first:])
    return path


def _mpeg_frame_length(header: bytes) -> int:
    """Length of an MPEG layer III frame from its header (enough for the samples made here)."""
    version = (header[1] >> 3) & 3  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    table = (
        (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
        if version == 3
        else (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
    )
    bitrate = table[(header[2] >> 4) - 1] * 1000
    rate = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}[version][
        (header[2] >> 2) & 3
    ]
    return (144 if version == 3 else 72) * bitrate // rate + ((header[2] >> 1) & 1)


def mp3_with_tags(directory, seconds=3) -> Path:
    """An MP3 with an ID3v2 tag in front (and padding after it) and an ID3v1 tag at the end."""
    path = mp3(directory, seconds=seconds, name="tagged.mp3")
    frames = path.read_bytes()
    title = b"TIT2" + struct.pack(">I", 12) + b"\x00\x00" + b"\x03Call 4711\x00\x00"
    body = title + bytes(200)  # padding after the frames, as taggers leave it
    size = bytes((len(body) >> shift) & 0x7F for shift in (21, 14, 7, 0))  # syncsafe
    id3v1 = b"TAG" + b"Call 4711".ljust(30, b"\x00") + bytes(95)
    path.write_bytes(b"ID3\x04\x00\x00" + size + body + frames + id3v1)
    return path


def rf64_wav(directory, seconds=3, finalised=True) -> Path:
    """An RF64 WAV; unfinalised = its ds64 data size still 0, as a crashed writer leaves it."""
    path = _write(Path(directory) / "rf64.wav", 8000, 1, seconds, format="RF64", subtype="PCM_16")
    if not finalised:
        data = bytearray(path.read_bytes())
        at = data.index(b"ds64") + 8 + 8  # riff size (8 bytes), then the data size
        data[at : at + 8] = bytes(8)
        path.write_bytes(bytes(data))
    return path


def mp2(directory, seconds=2) -> Path:
    """MPEG-1 layer II audio (an .mp3 by name, not by codec), made with ffmpeg.

    libsndfile does not write layer II; callers skip when ``shutil.which("ffmpeg")`` is None.
    """
    source = pcm_wav(directory, rate=32000, seconds=seconds, name="mp2_source.wav")
    path = Path(directory) / "layer2.mp3"
    subprocess.run(
        [
            shutil.which("ffmpeg") or "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(source),
            "-c:a",
            "mp2",
            "-f",
            "mp2",
            str(path),
        ],
        check=True,
    )
    source.unlink()
    return path


def ogg_opus(directory, rate=8000, channels=1, seconds=3, name="opus.ogg") -> Path:
    return _write(Path(directory) / name, rate, channels, seconds, format="OGG", subtype="OPUS")


def ogg_vorbis(directory, rate=8000, channels=1, seconds=3, name="vorbis.ogg") -> Path:
    return _write(Path(directory) / name, rate, channels, seconds, format="OGG", subtype="VORBIS")


def flac(directory, rate=8000, channels=1, seconds=3, name="sample.flac") -> Path:
    return _write(Path(directory) / name, rate, channels, seconds, format="FLAC", subtype="PCM_16")


def flac_unknown_length(directory, seconds=3) -> Path:
    """A FLAC whose STREAMINFO says 0 samples ("unknown"), as streaming encoders leave it."""
    path = flac(directory, seconds=seconds, name="unknown_length.flac")
    data = bytearray(path.read_bytes())
    field = slice(8 + 13, 8 + 18)  # last 36 bits of STREAMINFO bytes 10..17 = total samples
    value = int.from_bytes(data[field], "big") & ~((1 << 36) - 1)
    data[field] = value.to_bytes(5, "big")
    path.write_bytes(bytes(data))
    return path


def _cut(path: Path, keep: float, name: str) -> Path:
    data = path.read_bytes()
    cut = path.with_name(name)
    cut.write_bytes(data[: int(len(data) * keep) + 1])  # +1: rarely on a frame boundary
    path.unlink()
    return cut


def truncated_wav(directory, seconds=4, keep=0.5) -> Path:
    """A PCM WAV cut in the middle of its data: the header still declares the full length."""
    return _cut(pcm_wav(directory, seconds=seconds), keep, "truncated.wav")


def truncated_mp3(directory, seconds=6, keep=0.6) -> Path:
    return _cut(mp3(directory, seconds=seconds), keep, "truncated.mp3")


def truncated_flac(directory, seconds=6, keep=0.6) -> Path:
    return _cut(flac(directory, seconds=seconds), keep, "truncated.flac")


def truncated_ogg(directory, seconds=20, keep=0.6, subtype="OPUS") -> Path:
    full = _write(Path(directory) / "full.ogg", 8000, 1, seconds, format="OGG", subtype=subtype)
    return _cut(full, keep, "truncated.ogg")


def streaming_wav(directory, seconds=3, declared=0xFFFFFFFF) -> Path:
    """A PCM WAV whose RIFF and data sizes were never filled in (0xFFFFFFFF or 0)."""
    path = pcm_wav(directory, seconds=seconds, name=f"streaming_{declared:x}.wav")
    data = bytearray(path.read_bytes())
    at = data.index(b"data")
    data[4:8] = struct.pack("<I", declared)
    data[at + 4 : at + 8] = struct.pack("<I", declared)
    path.write_bytes(bytes(data))
    return path


def header_only_wav(directory) -> Path:
    """A well-formed WAV with a data chunk of 0 bytes (a call that recorded nothing)."""
    path = Path(directory) / "header_only.wav"
    with soundfile.SoundFile(path, "w", 8000, 1, subtype="PCM_16", format="WAV"):
        pass
    return path


def unsupported_wav(directory, subtype="IMA_ADPCM") -> Path:
    """A WAV in a codec libsndfile reads but we do not accept (IMA ADPCM, PCM_32, ...)."""
    return _write(
        Path(directory) / f"unsupported_{subtype.lower()}.wav",
        8000,
        1,
        2,
        format="WAV",
        subtype=subtype,
    )


def aiff(directory) -> Path:
    """Real audio in a container we do not accept."""
    return _write(Path(directory) / "sample.aiff", 8000, 1, 1, format="AIFF", subtype="PCM_16")


def empty_file(directory) -> Path:
    path = Path(directory) / "empty.wav"
    path.write_bytes(b"")
    return path


def text_file(directory) -> Path:
    path = Path(directory) / "notes.wav"
    path.write_text("Rückruf bitte an 0211 123456 – Frau Müller.\n" * 20, encoding="utf-8")
    return path


def pdf_file(directory) -> Path:
    path = Path(directory) / "invoice.mp3"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    return path


def random_bytes(directory, size=64 * 1024, seed=7) -> Path:
    path = Path(directory) / "random.bin"
    path.write_bytes(np.random.default_rng(seed).bytes(size))
    return path


def corrupt_wav(directory) -> Path:
    """A RIFF/WAVE header followed by garbage instead of chunks."""
    path = Path(directory) / "corrupt.wav"
    garbage = np.random.default_rng(3).bytes(4000)
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(garbage)) + b"WAVE" + garbage)
    return path


def corrupt_mp3(directory) -> Path:
    """An ID3 tag followed by garbage: an MP3 by its tag, with no audio frames."""
    path = Path(directory) / "corrupt.mp3"
    garbage = bytes(b & 0x7F for b in np.random.default_rng(4).bytes(4000))  # no frame sync
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10)
    path.write_bytes(tag + garbage)
    return path


def corrupt_flac(directory) -> Path:
    """A FLAC whose metadata is intact but whose audio frames are garbage."""
    path = flac(directory, name="corrupt.flac")
    data = path.read_bytes()
    pos = 4
    while True:  # find the end of the metadata blocks
        last, length = data[pos] & 0x80, int.from_bytes(data[pos + 1 : pos + 4], "big")
        pos += 4 + length
        if last:
            break
    garbage = bytes(b & 0x7F for b in np.random.default_rng(5).bytes(len(data) - pos))
    path.write_bytes(data[:pos] + garbage)
    return path


def corrupt_ogg(directory) -> Path:
    """An Ogg page that carries no codec we know."""
    path = Path(directory) / "corrupt.ogg"
    body = b"not a codec header"
    page = b"OggS\x00\x02" + bytes(8) + struct.pack("<III", 1, 0, 0) + bytes([1, len(body)]) + body
    path.write_bytes(page)
    return path


def call_recording(directory, seconds, rate=8000, name=None) -> Path:
    """A realistic call recording: 16-bit PCM mono WAV (3 minutes at 8 kHz is about 2.9 MB)."""
    name = name or f"call_{seconds}s_{rate}.wav"
    return _write(Path(directory) / name, rate, 1, seconds, format="WAV", subtype="PCM_16")
