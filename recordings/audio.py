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
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
from dataclasses import dataclass

import numpy as np
import soundfile

REJECTION_CODES = ("empty", "not_audio", "corrupt", "unsupported_format")

BLOCK_SAMPLES = 1 << 16  # samples (all channels) decoded per block: 256 KiB of float32
PEAK_RUNS = 1 << 16  # fine-grained peaks kept before neighbours merge pairwise

_MEDIA_TYPES = {
    "wav": ("audio/wav", ".wav"),
    "mp3": ("audio/mpeg", ".mp3"),
    "ogg": ("audio/ogg", ".ogg"),
    "flac": ("audio/flac", ".flac"),
}
_LIBSNDFILE_FORMATS = {
    "wav": {"WAV", "WAVEX", "RF64"},
    "mp3": {"MP3"},
    "ogg": {"OGG"},
    "flac": {"FLAC"},
}
_CODECS = {
    "wav": {
        "PCM_16": "pcm_s16le",
        "PCM_24": "pcm_s24le",
        "PCM_U8": "pcm_u8",
        "FLOAT": "pcm_f32le",
        "ULAW": "mulaw",
        "ALAW": "alaw",
        "GSM610": "gsm610",
        "MPEG_LAYER_III": "mp3",
    },
    "mp3": {"MPEG_LAYER_III": "mp3"},
    "ogg": {"OPUS": "opus", "VORBIS": "vorbis"},
}


class AudioRejected(Exception):
    """The input is not a recording we can keep; ``code`` is one of :data:`REJECTION_CODES`."""

    def __init__(self, code: str, detail: str):
        if code not in REJECTION_CODES:
            raise ValueError(f"unknown rejection code {code!r}")
        super().__init__(code, detail)  # both in args, so the exception pickles (Celery)
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


@dataclass(frozen=True)
class AudioInfo:
    container: str
    codec: str
    sample_rate: int
    channels: int
    frames: int
    duration: float
    truncated: bool
    truncation_detail: str
    mime_type: str
    extension: str


@dataclass(frozen=True)
class Analysis:
    info: AudioInfo
    sha256: str
    size: int
    peaks: list[float]


def probe(path) -> AudioInfo:
    """Recognise, decode and measure the audio at ``path``.

    The whole stream is decoded once (block by block) because ``frames`` counts what actually
    decodes, and a decoder error part-way is how truncated MP3/Ogg/FLAC files show. Raises
    :class:`AudioRejected` for empty, non-audio, corrupt and unsupported input; OSError when the
    file cannot be read. Has no side effects, so it can be re-run freely.
    """
    return _examine(path, None)[0]


def analyse(path, *, buckets: int = 800) -> Analysis:
    """:func:`probe` plus the SHA-256 and size of the bytes as received and waveform peaks.

    ``peaks`` has ``buckets`` values in 0..1: the largest absolute sample (over all channels)
    in each of ``buckets`` equal stretches of the decoded audio, rounded to 3 decimals. Memory
    stays flat whatever the file's length. Raises like :func:`probe`.
    """
    if buckets < 1:
        raise ValueError("buckets must be at least 1")
    info, size, peaks = _examine(path, buckets)
    return Analysis(info=info, sha256=sha256_file(path), size=size, peaks=peaks)


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


# --- recognising the container ---------------------------------------------------------------


@dataclass
class _Plan:
    """What the structure walk learnt, and how libsndfile is to read the file."""

    container: str
    pieces: list | None = None  # a splice for _SplicedFile; None = the file as it is
    cut: str = ""  # truncation seen in the structure
    trust_length: bool = False  # libsndfile's frame count is what the file announces
    no_audio_expected: bool = False  # zero frames then mean "empty", not "corrupt"
    pcm16: tuple | None = None  # (data offset, data bytes, channels): a plain 16-bit PCM WAV


def _examine(path, buckets):
    path = os.fspath(path)
    size = os.path.getsize(path)
    if size == 0:
        raise AudioRejected("empty", "The file is empty (0 bytes).")
    with open(path, "rb") as f:
        plan = _plan(f, size)
    info, peaks = _decode(path, size, plan, buckets)
    return info, size, peaks


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


class _PeakRuns:
    """Largest amplitude per run of ``span`` frames, in bounded memory.

    Runs are appended as blocks arrive; when more than :data:`PEAK_RUNS` are held, neighbours
    merge pairwise and ``span`` doubles, so the resolution adapts to a length nobody had to
    know in advance.
    """

    def __init__(self):
        self.span = 1
        self.runs = np.zeros(PEAK_RUNS + BLOCK_SAMPLES + 1, dtype=np.float32)
        self.count = 0  # complete runs
        self.tail = 0.0  # largest amplitude of the open (incomplete) run after them
        self.tail_frames = 0
        self.frames = 0
        self.scale = None  # multiplies the runs in peaks() (raw integer amplitudes)

    def add(self, amplitude: np.ndarray) -> None:
        """Take the next frames' amplitudes (one value per frame)."""
        self.frames += len(amplitude)
        while len(amplitude):
            if self.tail_frames:  # complete the open run first
                take = min(self.span - self.tail_frames, len(amplitude))
                self.tail = max(self.tail, float(amplitude[:take].max()))
                self.tail_frames += take
                amplitude = amplitude[take:]
                if self.tail_frames == self.span:
                    completed, self.tail, self.tail_frames = self.tail, 0.0, 0
                    self._append(np.array([completed], dtype=np.float32))
                continue
            whole = len(amplitude) // self.span * self.span
            if whole:
                self._append(amplitude[:whole].reshape(-1, self.span).max(axis=1))
            rest = amplitude[whole:]  # follows whatever a merge moved into the open run
            if len(rest):
                self.tail = max(self.tail, float(rest.max()))
                self.tail_frames += len(rest)
            return

    def _append(self, values: np.ndarray) -> None:
        self.runs[self.count : self.count + len(values)] = values
        self.count += len(values)
        while self.count > PEAK_RUNS:
            if self.count % 2:  # the odd run out joins the open run after it
                self.count -= 1
                self.tail = max(self.tail, float(self.runs[self.count]))
                self.tail_frames += self.span
            half = self.count // 2
            self.runs[:half] = np.maximum(
                self.runs[0 : self.count : 2], self.runs[1 : self.count : 2]
            )
            self.count = half
            self.span *= 2

    def peaks(self, buckets: int) -> list[float]:
        runs = self.runs[: self.count]
        if self.tail_frames:
            runs = np.append(runs, np.float32(self.tail))
        if self.scale is not None:
            runs = runs * self.scale
        runs = np.clip(np.nan_to_num(runs, nan=1.0, posinf=1.0), 0.0, 1.0)
        total, span = self.frames, self.span
        result = []
        for i in range(buckets):
            first = i * total // buckets
            last = max(first, (i + 1) * total // buckets - 1)
            result.append(round(float(runs[first // span : last // span + 1].max()), 3))
        return result


class _SplicedFile(io.RawIOBase):
    """A read-only, seekable view of a file with bytes replaced or inserted.

    ``pieces`` lists what the view is made of, in order: ``(offset, length)`` ranges of the file
    (``length`` -1 = to its end) and ``bytes`` to insert. libsndfile reads it through soundfile's
    virtual I/O; the file itself is never modified or copied.
    """

    def __init__(self, path: str, size: int, pieces: list):
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._pieces = []
        start = 0
        for piece in pieces:
            if isinstance(piece, bytes):
                length = len(piece)
            else:
                offset, length = piece
                length = size - offset if length < 0 else length
                piece = offset
            self._pieces.append((start, start + length, piece))
            start += length
        self._size = start
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        for start, end, piece in self._pieces:
            if done == len(view):
                break
            if end <= self._pos:
                continue
            n = min(len(view) - done, end - self._pos)
            skip = self._pos - start
            if isinstance(piece, bytes):
                view[done : done + n] = piece[skip : skip + n]
            else:
                self._file.seek(piece + skip)
                wanted = n
                n = self._file.readinto(view[done : done + n]) or 0
                if n < wanted:  # the file is shorter than when the view was made
                    done += n
                    self._pos += n
                    break
            done += n
            self._pos += n
        return done

    def close(self) -> None:
        self._file.close()
        super().close()
