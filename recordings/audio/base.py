"""The facts every part of the audio analysis shares: what a file is, why it is refused."""

from __future__ import annotations

from dataclasses import dataclass

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
