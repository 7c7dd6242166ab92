"""FLAC: the metadata blocks."""

from __future__ import annotations

from .base import AudioRejected, _Plan

# --- FLAC ------------------------------------------------------------------------------------


def _plan_flac(f, size: int, start: int) -> _Plan:
    pos = start + 4
    total = None
    while True:
        f.seek(pos)
        header = f.read(4)
        if len(header) < 4:
            raise AudioRejected("corrupt", "The file ends inside its FLAC metadata.")
        last, kind = header[0] & 0x80, header[0] & 0x7F
        length = int.from_bytes(header[1:4], "big")
        if total is None:
            if kind != 0 or length < 34:
                raise AudioRejected("corrupt", "The FLAC file does not start with STREAMINFO.")
            info = f.read(34)
            if len(info) < 34:
                raise AudioRejected("corrupt", "The file ends inside its FLAC metadata.")
            total = int.from_bytes(info[13:18], "big") & ((1 << 36) - 1)
        pos += 4 + length
        if pos > size:
            raise AudioRejected("corrupt", "The file ends inside its FLAC metadata.")
        if last:
            break
    # total == 0 means "unknown" (a streaming encoder); then only a decoder error shows a cut
    return _Plan("flac", trust_length=total > 0)
