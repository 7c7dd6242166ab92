"""Decoding through libsndfile in blocks of fixed size; 16-bit PCM read directly."""

from __future__ import annotations

import numpy as np
import soundfile

from .base import (
    _CODECS,
    _LIBSNDFILE_FORMATS,
    _MEDIA_TYPES,
    BLOCK_SAMPLES,
    AudioInfo,
    AudioRejected,
    _Plan,
)
from .peaks import _PeakRuns
from .splice import _SplicedFile

# --- decoding --------------------------------------------------------------------------------


def _decode(path: str, size: int, plan: _Plan, buckets: int | None):
    """Decode the whole stream once; return (AudioInfo, peaks or None)."""
    source = path if plan.pieces is None else _SplicedFile(path, size, plan.pieces)
    try:
        return _decode_source(source, plan, buckets)
    finally:
        if source is not path:
            source.close()


def _decode_source(source, plan: _Plan, buckets: int | None):
    try:
        snd = soundfile.SoundFile(source)
    except RuntimeError as error:  # LibsndfileError and soundfile's other runtime errors
        raise AudioRejected("corrupt", f"The {plan.container.upper()} file does not open: {error}.")
    with snd:
        if snd.format not in _LIBSNDFILE_FORMATS[plan.container]:
            raise AudioRejected(
                "corrupt", f"The {plan.container.upper()} file reads as {snd.format} instead."
            )
        codec = "flac" if plan.container == "flac" else _CODECS[plan.container].get(snd.subtype)
        if codec is None:
            raise AudioRejected(
                "unsupported_format",
                f"The {plan.container.upper()} file holds {snd.subtype_info}, which is not "
                "accepted.",
            )
        runs = _PeakRuns() if buckets else None
        if runs is not None and _pcm16_fits(plan, snd):
            frames, error = _read_pcm16(source, plan.pcm16, runs)
        else:
            frames, error = _read_all(snd, runs)
        announced, rate, channels = snd.frames, snd.samplerate, snd.channels
    if frames == 0:
        if plan.no_audio_expected and not plan.cut:
            raise AudioRejected("empty", "The file holds no audio frames.")
        reason = f" ({error})" if error else ""
        raise AudioRejected(
            "corrupt", f"No audio decodes from the file{reason}. {plan.cut}".strip()
        )

    details = [plan.cut] if plan.cut else []
    if plan.trust_length and frames < announced:
        details.append(f"Only {frames} of the {announced} frames the header announces decode.")
    if error:
        details.append(f"Decoding stopped early: {error}.")
    media_type, extension = _MEDIA_TYPES[plan.container]
    info = AudioInfo(
        container=plan.container,
        codec=codec,
        sample_rate=rate,
        channels=channels,
        frames=frames,
        duration=frames / rate,
        truncated=bool(details),
        truncation_detail=" ".join(details),
        mime_type=media_type,
        extension=extension,
    )
    return info, None if runs is None else runs.peaks(buckets)


def _read_all(snd: soundfile.SoundFile, runs: _PeakRuns | None) -> tuple[int, str]:
    """Read every frame sequentially; return (frames read, decoder error message or '')."""
    ffi, lib = soundfile._ffi, soundfile._snd
    channels = snd.channels
    block = np.empty((max(1, BLOCK_SAMPLES // channels), channels), dtype=np.float32)
    pointer = ffi.cast("float *", ffi.from_buffer(block))
    frames = 0
    while True:
        n = lib.sf_readf_float(snd._file, pointer, len(block))
        if n > 0:
            frames += n
            if runs is not None:
                amplitude = np.abs(block[:n], out=block[:n])
                runs.add(amplitude[:, 0] if channels == 1 else amplitude.max(axis=1))
        if lib.sf_error(snd._file):
            message = ffi.string(lib.sf_strerror(snd._file)).decode("utf-8", "replace")
            return frames, message.rstrip(". ") or "decoder error"
        if n <= 0:
            return frames, ""


def _pcm16_fits(plan: _Plan, snd: soundfile.SoundFile) -> bool:
    """Is this a plain 16-bit PCM WAV whose samples can be read directly (as libsndfile
    would decode them: every whole frame of the data chunk)?"""
    if plan.pcm16 is None or plan.pieces is not None or snd.subtype != "PCM_16":
        return False
    _offset, length, channels = plan.pcm16
    return snd.channels == channels and snd.frames == length // (2 * channels)


def _read_pcm16(path: str, pcm16: tuple, runs: _PeakRuns) -> tuple[int, str]:
    """The fast path for plain 16-bit PCM WAV (the bulk of what PBXs send): the int16 samples
    of the data chunk, read in blocks with numpy, no conversion to float. ``|sample|`` as
    uint16 (so -32768 gives 32768) feeds the peak runs; :meth:`_PeakRuns.peaks` scales by
    1/32768, which is exactly libsndfile's int16 → float conversion."""
    offset, length, channels = pcm16
    frames = length // (2 * channels)
    per_block = max(1, BLOCK_SAMPLES // channels)  # what _PeakRuns takes at a time
    block = np.empty(per_block * channels, dtype="<i2")
    raw = block.view(np.uint8)
    runs.scale = np.float32(1.0 / 32768.0)
    done = 0
    with open(path, "rb", buffering=0) as f:
        f.seek(offset)
        while done < frames:
            want = min(per_block, frames - done)
            wanted_bytes = want * 2 * channels
            got = 0
            while got < wanted_bytes:
                n = f.readinto(raw[got:wanted_bytes])
                if not n:
                    break
                got += n
            n = got // (2 * channels)
            if n:
                samples = np.abs(block[: n * channels], out=block[: n * channels]).view(np.uint16)
                if channels == 1:
                    runs.add(samples)
                else:
                    runs.add(samples.reshape(n, channels).max(axis=1))
                done += n
            if got < wanted_bytes:  # the file shrank after it was examined
                break
    return done, ""
