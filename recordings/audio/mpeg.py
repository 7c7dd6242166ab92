"""MPEG audio (MP3): frame headers, ID3 and trailing tags, Xing/Info/VBRI headers."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .base import AudioRejected, _Plan

# --- MP3 -------------------------------------------------------------------------------------

_MPEG_BITRATES = {  # kbit/s by (MPEG-1?, layer), index 1..14
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_BITRATES[(False, 3)] = _MPEG_BITRATES[(False, 2)]
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_MPEG_VERSIONS = {3: "1", 2: "2", 0: "2.5"}
_TRAILING_TAGS = (b"TAG", b"APETAGEX", b"LYRICSBEGIN", b"ID3")


@dataclass(frozen=True)
class _MpegFrame:
    version: int  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    layer: int
    rate: int
    length: int
    mono: bool
    crc: bool

    @property
    def key(self):
        return self.version, self.layer, self.rate


def _mpeg_header(header: bytes) -> _MpegFrame | None:
    """Parse an MPEG audio frame header; None if these 4 bytes are not a usable one."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version, layer = (header[1] >> 3) & 3, 4 - ((header[1] >> 1) & 3)
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
    if version == 1 or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values, or free-format bitrate (no frame length to walk by)
    if header[3] & 3 == 2:  # reserved emphasis
        return None
    mpeg1 = version == 3
    bitrate = _MPEG_BITRATES[(mpeg1, layer)][bitrate_index - 1] * 1000
    rate = _MPEG_RATES[version][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 1:
        length = (12 * bitrate // rate + padding) * 4
    else:
        length = (144 if mpeg1 or layer == 2 else 72) * bitrate // rate + padding
    return _MpegFrame(version, layer, rate, length, header[3] >> 6 == 3, not header[1] & 1)


def _skip_id3(f, size: int) -> int:
    """Offset after the ID3v2 tag(s) at the start of the file."""
    pos = 0
    while True:
        f.seek(pos)
        header = f.read(10)
        if len(header) < 10 or header[:3] != b"ID3":
            return pos
        length = 0
        for byte in header[6:10]:
            length = (length << 7) | (byte & 0x7F)
        pos += 10 + length + (10 if header[5] & 0x10 else 0)
        if pos > size:
            raise AudioRejected("corrupt", "The file ends inside its ID3 tag.")


def _frames_follow(f, pos: int, size: int, key, count: int) -> bool:
    """Whether ``count`` consistent MPEG frames start at ``pos`` (or fewer, ending the file)."""
    for _ in range(count):
        f.seek(pos)
        frame = _mpeg_header(f.read(4))
        if frame is None or frame.key != key or pos + frame.length > size:
            return False
        pos += frame.length
        if pos == size or _at_trailing_tag(f, pos):
            return True
    return True


def _find_mpeg_start(f, start: int, size: int, *, tagged: bool) -> int | None:
    """Offset of the first MPEG audio frame at or shortly after ``start``.

    Two consecutive frames are required at ``start`` itself, three when scanning ahead (up to
    64 KiB after an ID3 tag, 4 KiB without one), so random bytes do not pass for MP3.
    """
    window = (1 << 16) if tagged else 4096
    f.seek(start)
    sample = f.read(window + 4)
    for offset in _sync_candidates(sample):
        frame = _mpeg_header(sample[offset : offset + 4])
        if frame is not None and _frames_follow(
            f, start + offset, size, frame.key, 2 if offset == 0 else 3
        ):
            return start + offset
    return None


def _sync_candidates(data: bytes):
    offset = data.find(b"\xff")
    while offset != -1:
        yield offset
        offset = data.find(b"\xff", offset + 1)


def _at_trailing_tag(f, pos: int) -> bool:
    f.seek(pos)
    head = f.read(11)
    return any(head.startswith(tag) for tag in _TRAILING_TAGS)


def _plan_mp3(f, size: int, tag_end: int, first_offset: int) -> _Plan:
    """Plan an MP3 whose tags end at ``tag_end`` and whose first frame is at ``first_offset``.

    Bytes between the two (junk some writers leave) are cut from what libsndfile sees.
    """
    f.seek(first_offset)
    first_bytes = f.read(256)
    first = _mpeg_header(first_bytes)
    if first.layer != 3:
        raise AudioRejected(
            "unsupported_format",
            f"The file is MPEG-{_MPEG_VERSIONS[first.version]} layer {'I' * first.layer} audio; "
            "only layer III (MP3) is accepted.",
        )
    plan = _Plan("mp3", cut=_walk_mpeg(f, first_offset, size, first.key))
    if _vbr_header_frames(first, first_bytes):
        plan.trust_length = True
        if first_offset > tag_end:
            plan.pieces = [(0, tag_end), (first_offset, -1)]
    else:
        # libsndfile would stop at a length guessed from the first frame's bitrate: announce an
        # upper bound (every frame at the lowest bitrate) and count what really decodes.
        bound = min((size - first_offset) // _smallest_frame(first_bytes) + 1, 0xFFFFFFFF)
        xing = _xing_frame(first, first_bytes, bound)
        plan.pieces = [(0, tag_end), xing, (first_offset, -1)]
    return plan


def _walk_mpeg(f, pos: int, size: int, key) -> str:
    """Walk the frames from ``pos``; describe a cut-off last frame, else ''."""
    while pos < size:
        f.seek(pos)
        frame = _mpeg_header(f.read(4))
        if frame is not None and frame.key == key:
            if pos + frame.length > size:
                return (
                    f"The last MPEG frame is cut off ({size - pos} of {frame.length} bytes "
                    "present)."
                )
            pos += frame.length
        elif _at_trailing_tag(f, pos):
            return ""
        else:
            resumed = _resync_mpeg(f, pos + 1, size, key)
            if resumed is None:
                return ""  # trailing bytes that are no frame: padding or junk, not a cut
            pos = resumed
    return ""


def _resync_mpeg(f, pos: int, size: int, key) -> int | None:
    """Next offset from ``pos`` where two consistent frames follow (junk inside the stream)."""
    while pos < size:
        f.seek(pos)
        chunk = f.read(1 << 16)
        for offset in _sync_candidates(chunk):
            if _frames_follow(f, pos + offset, size, key, 2):
                return pos + offset
        pos += max(len(chunk) - 3, 1)
    return None


def _side_info_length(frame: _MpegFrame) -> int:
    if frame.version == 3:
        return 17 if frame.mono else 32
    return 9 if frame.mono else 17


def _vbr_header_frames(frame: _MpegFrame, data: bytes) -> int:
    """Frame count announced by a Xing/Info or VBRI header in the first frame, else 0."""
    offset = 4 + (2 if frame.crc else 0) + _side_info_length(frame)
    if data[offset : offset + 4] in (b"Xing", b"Info") and len(data) >= offset + 12:
        flags, frames = struct.unpack(">II", data[offset + 4 : offset + 12])
        return frames if flags & 1 else 0
    if data[36:40] == b"VBRI" and len(data) >= 54:
        return struct.unpack(">I", data[50:54])[0]
    return 0


def _smallest_frame(first_bytes: bytes) -> int:
    lowest = bytes([first_bytes[0], first_bytes[1], 0x10 | (first_bytes[2] & 0x0C), 0])
    return _mpeg_header(lowest).length


def _xing_frame(first: _MpegFrame, first_bytes: bytes, frames: int) -> bytes:
    """A silent MPEG frame like ``first`` carrying a Xing header that announces ``frames``."""
    side = _side_info_length(first)
    needed = 4 + side + 12
    for bitrate_index in range(1, 15):
        header = bytes(
            [
                0xFF,
                first_bytes[1] | 0x01,  # no CRC
                (bitrate_index << 4) | (first_bytes[2] & 0x0C),  # same rate, no padding
                first_bytes[3],
            ]
        )
        frame = _mpeg_header(header)
        if frame.length >= needed:
            break
    payload = header + bytes(side) + b"Xing" + struct.pack(">II", 1, frames)
    return payload + bytes(frame.length - len(payload))
