"""Recognising the container from its magic bytes, and naming what is not accepted."""

from __future__ import annotations

from .base import AudioRejected, _Plan
from .flac import _plan_flac
from .mpeg import _find_mpeg_start, _plan_mp3, _skip_id3
from .ogg import _plan_ogg
from .wav import _plan_wav


def _plan(f, size: int) -> _Plan:
    head = f.read(64)
    magic = head[:4]
    if magic in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return _plan_wav(f, size, rf64=magic == b"RF64")
    if magic == b"RIFF" and len(head) < 12:
        raise AudioRejected("corrupt", "The file ends inside its RIFF header.")
    if magic == b"OggS":
        return _plan_ogg(f, size)
    if magic == b"fLaC":
        return _plan_flac(f, size, 0)
    if head[:3] == b"ID3":
        tag_end = _skip_id3(f, size)
        f.seek(tag_end)
        if f.read(4) == b"fLaC":
            return _plan_flac(f, size, tag_end)
        first = _find_mpeg_start(f, tag_end, size, tagged=True)
        if first is None:
            raise AudioRejected("corrupt", "The file has an ID3 tag but no MPEG audio frames.")
        return _plan_mp3(f, size, tag_end, first)
    first = _find_mpeg_start(f, 0, size, tagged=False)
    if first is not None:
        return _plan_mp3(f, size, 0, first)
    other = _other_audio(head, f, size)
    if other:
        raise AudioRejected("unsupported_format", f"The file is {other}, which is not accepted.")
    raise AudioRejected("not_audio", f"The file is not audio: {_describe_non_audio(head)}.")


def _other_audio(head: bytes, f, size: int) -> str:
    """Name a recognised audio (or media) format we do not accept, or ''."""
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "AIFF audio"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "an AVI video"
    signatures = {
        b".snd": "Sun/NeXT AU audio",
        b"#!AMR": "AMR audio",
        b"caff": "Apple CAF audio",
        b"riff": "Sony Wave64 audio",
        b"BW64": "BW64 audio",
        b"RIFX": "big-endian RIFX WAV audio",
        b"\x1aE\xdf\xa3": "Matroska/WebM media",
        b"\x30\x26\xb2\x75\x8e\x66\xcf\x11": "Windows Media (ASF) media",
    }
    for signature, name in signatures.items():
        if head.startswith(signature):
            return name
    if head[4:8] == b"ftyp":
        return "MP4/M4A/3GP media"
    if _adts_frames(head, f, size):
        return "AAC audio (ADTS)"
    return ""


def _adts_frames(head: bytes, f, size: int) -> bool:
    """Two consecutive AAC ADTS headers at the start of the file."""

    def frame_length(h: bytes) -> int:
        if len(h) < 7 or h[0] != 0xFF or h[1] & 0xF6 != 0xF0:
            return 0
        return ((h[3] & 0x03) << 11) | (h[4] << 3) | (h[5] >> 5)

    first = frame_length(head[:7])
    if first < 7:
        return False
    if first == size:
        return True
    f.seek(first)
    return frame_length(f.read(7)) >= 7


def _describe_non_audio(head: bytes) -> str:
    kinds = {
        b"%PDF": "a PDF document",
        b"\x89PNG": "a PNG image",
        b"\xff\xd8\xff": "a JPEG image",
        b"GIF8": "a GIF image",
        b"PK\x03\x04": "a ZIP archive",
        b"\x1f\x8b": "a gzip archive",
        b"\x7fELF": "an executable",
        b"RIFF": "a RIFF file that is not WAVE",
    }
    for signature, kind in kinds.items():
        if head.startswith(signature):
            return kind
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:  # a character cut at the end of the sample is fine
        text = head[: error.start].decode("utf-8") if error.start >= len(head) - 3 else None
    if text is not None and all(c.isprintable() or c in "\t\r\n" for c in text):
        return "it looks like text"
    return "no audio format recognised"
