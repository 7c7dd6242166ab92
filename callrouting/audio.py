"""Announcement audio as telephony WAV (8 kHz, mono, 16-bit PCM).

- :func:`synthesise` speaks a text with espeak-ng (``-v de`` / ``-v en``, 22,050 Hz) and
  converts it with sox (``-r 8000 -c 1 -b 16``).
- :func:`convert_upload` checks an uploaded file with soundfile (WAV in any codec libsndfile
  reads, FLAC, OGG/Opus, MP3), refuses what is not audio, empty or too long, and converts it the
  same way.

Both return an :class:`AnnouncementAudio` with the WAV bytes and what was measured; both raise
``AudioError`` with a stable ``code`` on failure and leave no temporary files behind.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import soundfile

RATE = 8000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_SECONDS = 180.0
VOICES = {"de": "de", "en": "en-gb"}
TOOL_TIMEOUT = 60


class AudioError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class AnnouncementAudio:
    data: bytes
    duration: float
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AudioError("tool_missing", f"{name} is not installed (scripts/install-sysdeps).")
    return path


def _to_telephony(source: Path, workdir: Path) -> AnnouncementAudio:
    target = workdir / "out.wav"
    result = subprocess.run(
        [
            _tool("sox"),
            "-q",
            str(source),
            "-r",
            str(RATE),
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            str(target),
        ],
        capture_output=True,
        timeout=TOOL_TIMEOUT,
        check=False,
    )
    if result.returncode != 0 or not target.exists():
        raise AudioError("conversion_failed", result.stderr.decode(errors="replace")[:300])
    data = target.read_bytes()
    info = soundfile.info(io.BytesIO(data))
    return AnnouncementAudio(
        data=data,
        duration=round(info.frames / info.samplerate, 3),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def synthesise(text: str, language: str) -> AnnouncementAudio:
    """Speak ``text`` in ``language`` (``de`` or ``en``) as telephony WAV."""
    if language not in VOICES:
        raise AudioError("invalid_language", f"no voice for {language!r}")
    if not text.strip():
        raise AudioError("empty_text", "nothing to say")
    with tempfile.TemporaryDirectory(prefix="announce-") as tmp:
        workdir = Path(tmp)
        spoken = workdir / "spoken.wav"
        result = subprocess.run(
            [_tool("espeak-ng"), "-v", VOICES[language], "-s", "150", "-w", str(spoken), "--stdin"],
            input=text.encode(),
            capture_output=True,
            timeout=TOOL_TIMEOUT,
            check=False,
        )
        if result.returncode != 0 or not spoken.exists():
            raise AudioError("synthesis_failed", result.stderr.decode(errors="replace")[:300])
        return _to_telephony(spoken, workdir)


def convert_upload(fileobj, *, size: int | None = None) -> AnnouncementAudio:
    """Validate an uploaded announcement and convert it to telephony WAV.

    Codes: ``too_large``, ``empty``, ``not_audio``, ``too_long``, ``conversion_failed``.
    """
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise AudioError("too_large", "the file is larger than 20 MB")
    with tempfile.TemporaryDirectory(prefix="announce-") as tmp:
        workdir = Path(tmp)
        raw = workdir / "upload"
        with raw.open("wb") as out:
            copied = 0
            for chunk in iter(lambda: fileobj.read(1 << 16), b""):
                copied += len(chunk)
                if copied > MAX_UPLOAD_BYTES:
                    raise AudioError("too_large", "the file is larger than 20 MB")
                out.write(chunk)
        if copied == 0:
            raise AudioError("empty", "the file is empty")
        try:
            data, rate = soundfile.read(str(raw), dtype="float32", always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
            raise AudioError("not_audio", str(exc)[:300]) from exc
        if len(data) == 0:
            raise AudioError("empty", "the audio has no samples")
        if len(data) / rate > MAX_SECONDS:
            raise AudioError("too_long", "the announcement is longer than 3 minutes")
        # Decoded by soundfile (any codec it reads), handed to sox as plain float WAV.
        plain = workdir / "decoded.wav"
        soundfile.write(str(plain), data, rate, subtype="FLOAT")
        return _to_telephony(plain, workdir)
