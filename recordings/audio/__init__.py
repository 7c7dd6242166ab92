"""Probe uploaded recordings and draw their waveform, trusting nothing the uploader says.

Pure functions over a file on disk (no models, no database). The ingest pipeline calls
:func:`analyse` (or :func:`probe` for the facts alone) and maps :class:`AudioRejected` to a
rejected ingest with ``code`` as its reason.

Accepted: WAV/RF64 (PCM 8/16/24-bit, 32-bit float, G.711 µ-law and A-law, GSM 6.10, MP3),
MP3 (MPEG layer III), Ogg Opus, Ogg Vorbis and FLAC, at any sample rate and channel count.
A file that ends before its header or stream says it should is *kept*: everything that decodes
is measured and the result is flagged ``truncated`` (it may be the only evidence of a call).

How it works: the container is recognised from its magic bytes and its structure is walked
here (WAV chunks, MPEG frames, Ogg pages, FLAC metadata) to find truncation that the decoder
hides; then libsndfile (through soundfile) decodes the audio once, sequentially, in blocks of
fixed size, so memory stays flat whatever the length. Three libsndfile habits are worked
around, each by presenting it a spliced view of the file (:class:`_SplicedFile`), never by
copying the file:

- it reads no further than the frame count it derived when opening, and for an MP3 without a
  Xing/Info/VBRI header that count is a guess from the first frame's bitrate (a 60 s VBR file
  decoded as 15 s) - such a stream gets a synthetic Xing frame announcing an upper bound;
- a WAV data chunk declaring 0 bytes (left so by streaming writers) reads as 0 frames - the
  size is patched to the bytes present;
- soundfile's ``read()`` clamps to that count, seeks after every block (GSM 6.10 WAVs are not
  seekable, FLACs of unknown length fail the seek) and drops a partly decoded block when the
  decoder reports an error, so blocks are read through libsndfile's ``sf_readf_float`` via
  soundfile's own cffi handles (``soundfile._snd``/``_ffi``, soundfile is pinned).

Layout: ``base`` (what a file is, why it is refused), ``containers`` (recognising the
container) with one module per container (``wav``, ``mpeg``, ``ogg``, ``flac``), ``codecs``
(decoding), ``peaks`` (the waveform) and ``splice`` (spliced views of a file).
"""

from __future__ import annotations

import hashlib
import os

from .base import _MEDIA_TYPES, REJECTION_CODES, Analysis, AudioInfo, AudioRejected
from .codecs import _decode
from .containers import _plan
from .peaks import _PeakRuns

__all__ = ["REJECTION_CODES", "Analysis", "AudioInfo", "AudioRejected", "_PeakRuns", "analyse",
           "media_type", "probe", "sha256_file"]


def probe(path) -> AudioInfo:
    """Recognise, decode and measure the audio at ``path``.

    The whole stream is decoded once (block by block) because ``frames`` counts what actually
    decodes, and a decoder error part-way is how truncated MP3/Ogg/FLAC files show. Raises
    :class:`AudioRejected` for empty, non-audio, corrupt and unsupported input; OSError when the
    file cannot be read. Has no side effects, so it can be re-run freely.
    """
    return _examine(path, None)[0]


def analyse(path, *, buckets: int = 800, sha256: str = "") -> Analysis:
    """:func:`probe` plus the SHA-256 and size of the bytes as received and waveform peaks.

    ``peaks`` has ``buckets`` values in 0..1: the largest absolute sample (over all channels)
    in each of ``buckets`` equal stretches of the decoded audio, rounded to 3 decimals. Memory
    stays flat whatever the file's length. Raises like :func:`probe`.

    ``sha256``: the bytes' SHA-256 when the caller knows it already and has it checked
    elsewhere (the ingest: hashed while receiving, verified by the store on upload); it is
    then taken as it is instead of reading the file once more.
    """
    if buckets < 1:
        raise ValueError("buckets must be at least 1")
    info, size, peaks = _examine(path, buckets)
    return Analysis(info=info, sha256=sha256 or sha256_file(path), size=size, peaks=peaks)


def media_type(path) -> tuple[str, str]:
    """``(MIME type, extension)`` from the container check alone (no decoding): what the
    pipeline needs to start the upload while :func:`analyse` decodes. Raises
    :class:`AudioRejected` like :func:`probe` for input that is recognisably not accepted;
    a file it accepts may still be rejected by the decoding."""
    path = os.fspath(path)
    size = os.path.getsize(path)
    if size == 0:
        raise AudioRejected("empty", "The file is empty (0 bytes).")
    with open(path, "rb") as f:
        plan = _plan(f, size)
    return _MEDIA_TYPES[plan.container]


def sha256_file(path, chunk_size=1 << 20) -> str:
    """Hex SHA-256 of the file's bytes, read in chunks of ``chunk_size``."""
    digest = hashlib.sha256()
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()


def _examine(path, buckets):
    path = os.fspath(path)
    size = os.path.getsize(path)
    if size == 0:
        raise AudioRejected("empty", "The file is empty (0 bytes).")
    with open(path, "rb") as f:
        plan = _plan(f, size)
    info, peaks = _decode(path, size, plan, buckets)
    return info, size, peaks
