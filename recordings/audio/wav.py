"""WAV and RF64: the chunk walk, the codec tag, truncation a decoder would hide."""

from __future__ import annotations

import struct

from .base import AudioRejected, _Plan

# --- WAV / RF64 ------------------------------------------------------------------------------

_WAV_TAG_NAMES = {
    0x0002: "Microsoft ADPCM",
    0x0011: "IMA ADPCM",
    0x0040: "G.721 ADPCM",
    0x0050: "MPEG layer I/II",
    0x0064: "G.726 ADPCM",
    0x0065: "G.722 ADPCM",
}
_WAV_EXTENSIBLE = 0xFFFE
_KSDATAFORMAT_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_WAV_ACCEPTED = "PCM 8/16/24-bit, 32-bit float, u-law, A-law, GSM 6.10 and MP3"


def _plan_wav(f, size: int, *, rf64: bool) -> _Plan:
    fmt = data = ds64 = None
    pos, chunks = 12, 0
    while (fmt is None or data is None) and pos + 8 <= size:
        chunks += 1
        if chunks > 1000:
            raise AudioRejected("corrupt", "The WAV file has too many chunks before its audio.")
        f.seek(pos)
        chunk_id, length = struct.unpack("<4sI", f.read(8))
        body = pos + 8
        if chunk_id == b"ds64" and rf64:
            sizes = f.read(16)
            if len(sizes) < 16:
                raise AudioRejected("corrupt", "The file ends inside its RF64 ds64 chunk.")
            ds64 = (body + 8, *struct.unpack("<QQ", sizes))  # (data size offset, riff, data)
        elif chunk_id == b"fmt ":
            fmt = f.read(min(length, 40))
        elif chunk_id == b"data":
            data = (body, length)
            if length in (0, 0xFFFFFFFF) or body + length > size:
                break  # audio runs to the end of the file
        if body + length > size and chunk_id != b"data":
            name = chunk_id.decode("ascii", "replace")
            raise AudioRejected("corrupt", f"The WAV chunk {name!r} runs past the end of the file.")
        pos = body + length + (length & 1)
    if fmt is None or len(fmt) < 16:
        raise AudioRejected("corrupt", "The WAV file has no valid format (fmt) chunk.")
    if data is None:
        raise AudioRejected("corrupt", "The WAV file has no data chunk.")
    tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == _WAV_EXTENSIBLE and len(fmt) >= 40:
        subformat = fmt[24:40]
        tag = int.from_bytes(subformat[:2], "little") if subformat[2:] == _KSDATAFORMAT_TAIL else -1
    if channels == 0 or rate == 0:
        raise AudioRejected("corrupt", "The WAV format chunk declares no channels or no rate.")
    _check_wav_codec(tag, bits)

    body, length = data
    present = size - body
    plan = _Plan("wav", no_audio_expected=True)  # until a size says otherwise
    if rf64:
        if ds64 is None:
            raise AudioRejected("corrupt", "The RF64 file has no ds64 chunk.")
        if length == 0xFFFFFFFF:
            size_offset, _, length = ds64
            if length in (0, 0xFFFFFFFFFFFFFFFF) and present:  # never finalised
                plan.pieces = [(0, size_offset), struct.pack("<Q", present), (size_offset + 8, -1)]
                return plan
    elif length == 0xFFFFFFFF:  # streaming writer: libsndfile counts to the end itself
        return plan
    elif length == 0 and present and not _looks_like_chunk(f, body, size):
        plan.pieces = [(0, body - 4), struct.pack("<I", min(present, 0xFFFFFFFF)), (body, -1)]
        return plan
    if length > present:
        plan.cut = f"The data chunk declares {length} bytes but only {present} are present."
    plan.no_audio_expected = length == 0
    if tag == 1 and bits == 16 and not rf64 and not plan.cut and length:
        plan.pcm16 = (body, length, channels)
    return plan


def _check_wav_codec(tag: int, bits: int) -> None:
    if (tag == 1 and bits in (8, 16, 24)) or (tag == 3 and bits == 32) or tag in (6, 7, 0x31, 0x55):
        return
    if tag in (1, 3):
        codec = f"{bits}-bit {'PCM' if tag == 1 else 'float'}"
    elif tag == -1:
        codec = "an unknown WAVE_FORMAT_EXTENSIBLE sub-format"
    else:
        codec = f"{_WAV_TAG_NAMES.get(tag, 'format')} (tag 0x{tag:04x})"
    raise AudioRejected(
        "unsupported_format", f"The WAV file holds {codec}; accepted are {_WAV_ACCEPTED}."
    )


def _looks_like_chunk(f, pos: int, size: int) -> bool:
    """Whether a RIFF chunk header (printable id, length within the file) starts at ``pos``."""
    f.seek(pos)
    header = f.read(8)
    if len(header) < 8:
        return False
    chunk_id, length = struct.unpack("<4sI", header)
    return all(32 <= b < 127 for b in chunk_id) and pos + 8 + length <= size
