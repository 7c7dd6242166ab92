"""Ogg (Opus, Vorbis): the page walk."""

from __future__ import annotations

import struct

from .base import AudioRejected, _Plan

# --- Ogg -------------------------------------------------------------------------------------


def _plan_ogg(f, size: int) -> _Plan:
    pos, serial, first_packet, ended, cut = 0, None, b"", False, ""
    while pos < size:
        f.seek(pos)
        header = f.read(27)
        if header[:4] != b"OggS":
            resumed = _find_bytes(f, b"OggS", pos + 1, size)
            if resumed is None:
                break
            pos = resumed
            continue
        if len(header) < 27:
            cut = "The last Ogg page is cut off inside its header."
            break
        segments = f.read(header[26])
        end = pos + 27 + len(segments) + sum(segments)
        if len(segments) < header[26] or end > size:
            cut = f"The last Ogg page is cut off ({size - pos} of {end - pos} bytes present)."
            break
        page_serial = struct.unpack("<I", header[14:18])[0]
        if serial is None:
            serial, first_packet = page_serial, f.read(min(sum(segments), 16))
        if page_serial == serial and header[5] & 0x04:
            ended = True
        pos = end
    if serial is None:
        raise AudioRejected("corrupt", "The Ogg file has no complete page.")
    if first_packet.startswith(b"OpusHead") or first_packet.startswith(b"\x01vorbis"):
        if not cut and not ended:
            cut = "The Ogg stream ends without its end-of-stream page."
        return _Plan("ogg", cut=cut)
    others = {b"Speex": "Speex", b"\x7fFLAC": "FLAC", b"\x80theora": "Theora video"}
    for signature, name in others.items():
        if first_packet.startswith(signature):
            raise AudioRejected(
                "unsupported_format",
                f"The Ogg file carries {name}; only Opus and Vorbis are accepted in Ogg.",
            )
    raise AudioRejected("corrupt", "The Ogg file's first stream is no codec we recognise.")


def _find_bytes(f, needle: bytes, pos: int, size: int) -> int | None:
    while pos < size:
        f.seek(pos)
        chunk = f.read(1 << 16)
        found = chunk.find(needle)
        if found != -1:
            return pos + found
        pos += max(len(chunk) - len(needle) + 1, 1)
    return None
