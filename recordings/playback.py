"""Playing and downloading a recording's audio over HTTP, with byte ranges.

``audio_response`` serves the menu's ``t/<slug>/recordings/<id>/audio/`` and the API's
``recordings/<id>/audio/`` alike:

- ``Range: bytes=a-b``, ``a-`` and suffix ``-n`` answer 206 with ``Content-Range``; a range
  that cannot be served (beyond the end, inverted, several ranges, malformed) answers 416 with
  ``Content-Range: bytes */size``; another unit is ignored (200, RFC 9110). ``If-Range`` with
  the ``ETag`` (or the exact ``Last-Modified``) keeps the range, anything else gets the whole.
- Only the requested bytes are read from storage (``store.get_range``: a ranged GET on S3, a
  seek locally) and streamed in chunks: memory stays flat whatever the size.
- Formats browsers cannot play (µ-law, A-law and GSM 6.10 in WAV) are played from a 16-bit PCM
  WAV rendition, made on first play and kept in the store under ``rendition_key``; the
  original is what ``?download=1`` (and ``?original=1``) sends, byte for byte.
- Audit: a download is one ``recording.downloaded`` event (a range request that does not start
  at byte 0 continues a download and is not counted again). Playing is one ``recording.played``
  event per account, recording and *play window*: the first request opens a window of
  ``PLAY_WINDOW_SECONDS``; every further range request of that account for that recording
  (seeking, buffering) extends it and is not audited again.
- When the tenant requires a reason (``RecordingSettings.access_reason_required``), every
  request must carry ``reason`` (query) or ``X-Access-Reason``; it is stored in the event.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header, http_date, parse_http_date_safe
from django.utils.translation import gettext as _

import audit

from .storage import ObjectMissing, get_store

PLAY_WINDOW_SECONDS = 30 * 60
BROWSER_UNPLAYABLE_CODECS = frozenset({"mulaw", "alaw", "gsm610"})
RENDITION_SUFFIX = ".play.wav"
REASON_MAX = 200
EXTENSION_TYPES = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
}


class RangeNotSatisfiable(Exception):
    """The Range header names no range this server serves for the object."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` inclusive for a single byte range, ``None`` when the whole object is
    to be sent (no header, another unit). Raises :class:`RangeNotSatisfiable`."""
    if not header:
        return None
    unit, equals, spec = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    spec = spec.strip()
    if "," in spec or size <= 0:
        raise RangeNotSatisfiable(header)
    first, dash, last = spec.partition("-")
    first, last = first.strip(), last.strip()
    if (
        not dash
        or not (first or last)
        or (first and not first.isdigit())
        or (last and not last.isdigit())
    ):
        raise RangeNotSatisfiable(header)
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - suffix), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(header)
    return start, min(end, size - 1)


@dataclass(frozen=True)
class AudioSource:
    key: str
    size: int
    content_type: str
    etag: str
    last_modified: datetime
    rendition: bool = False


def needs_rendition(recording) -> bool:
    return recording.codec in BROWSER_UNPLAYABLE_CODECS


def rendition_key(recording) -> str:
    """Where the browser-playable rendition of ``recording`` is kept (delete it with the
    audio)."""
    return f"{recording.storage_key}{RENDITION_SUFFIX}"


def content_type_of(recording) -> str:
    return recording.mime_type or EXTENSION_TYPES.get(
        recording.file_extension.lower(), "application/octet-stream"
    )


def original_source(recording) -> AudioSource:
    return AudioSource(
        key=recording.storage_key,
        size=recording.size,
        content_type=content_type_of(recording),
        etag=f'"{recording.sha256}"',
        last_modified=recording.created_at,
    )


def transcode_to_pcm(source: Path, target: Path, *, block_frames: int = 1 << 16) -> None:
    """Write ``source`` (anything libsndfile reads) as 16-bit PCM WAV, block by block."""
    import soundfile

    with (
        soundfile.SoundFile(str(source)) as src,
        soundfile.SoundFile(
            str(target),
            "w",
            samplerate=src.samplerate,
            channels=src.channels,
            format="WAV",
            subtype="PCM_16",
        ) as dst,
    ):
        while True:
            block = src.read(block_frames, dtype="int16", always_2d=True)
            if not len(block):
                break
            dst.write(block)


def rendition_source(recording, store=None) -> AudioSource:
    """The playable rendition, transcoded and stored on first use. Concurrent first plays
    may both transcode; they write the same bytes to the same key."""
    store = store or get_store()
    key = rendition_key(recording)
    info = store.head(key)
    if info is None:
        with tempfile.TemporaryDirectory(prefix="rendition-") as tmp:
            original = Path(tmp) / f"original{recording.file_extension or '.wav'}"
            playable = Path(tmp) / "playable.wav"
            store.download_file(recording.storage_key, original)
            transcode_to_pcm(original, playable)
            store.put_file(
                key, playable, content_type="audio/wav", metadata={"rendition-of": recording.sha256}
            )
        info = store.head(key)
    return AudioSource(
        key=key,
        size=info.size,
        content_type="audio/wav",
        etag=f'"{recording.sha256}-pcm16"',
        last_modified=recording.created_at,
        rendition=True,
    )


def download_filename(recording) -> str:
    """``2026-11-30_14-05-09_ext201_+49301234567.wav``: local start time, extension, number."""
    started = timezone.localtime(recording.started_at)
    number = "".join(c for c in (recording.remote_number or "") if c.isalnum() or c == "+")
    parts = [started.strftime("%Y-%m-%d_%H-%M-%S"), f"ext{recording.extension}"]
    if number:
        parts.append(number)
    return "_".join(parts) + (recording.file_extension or ".wav")


def if_range_allows(header: str | None, source: AudioSource) -> bool:
    """Whether a Range may be honoured under ``If-Range`` (true when there is none). Strong
    comparison: a weak tag never matches."""
    if not header:
        return True
    header = header.strip()
    if header.startswith(("W/", '"')):
        return header == source.etag
    moment = parse_http_date_safe(header)
    return moment is not None and moment == int(source.last_modified.timestamp())


def access_reason(request) -> str:
    reason = request.GET.get("reason") or request.headers.get("X-Access-Reason") or ""
    return " ".join(reason.split())[:REASON_MAX]


def _error(code: str, detail: str, status: int, **headers) -> JsonResponse:
    response = JsonResponse({"code": code, "detail": detail}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def record_audio_access(*, actor, tenant, recording, action: str, data: dict) -> None:
    """Audit one play or download of ``recording`` (its own transaction: nothing else
    changes)."""
    with transaction.atomic():
        audit.record(actor=actor, tenant=tenant, action=action, obj=recording, data=data)


def _opens_play_window(actor, recording) -> bool:
    """True for the first request of a play; later requests inside the window extend it."""
    key = f"recordings:play:{getattr(actor, 'pk', actor)}:{recording.pk}"
    if cache.add(key, 1, PLAY_WINDOW_SECONDS):
        return True
    cache.touch(key, PLAY_WINDOW_SECONDS)
    return False


def audio_response(request, *, actor, tenant, recording, reason_required: bool):
    """The response to a GET or HEAD of the recording's audio (see the module docstring)."""
    if not recording.has_audio or not recording.storage_key:
        return _error("audio_discarded", _("The audio of this recording no longer exists."), 410)
    reason = access_reason(request)
    if reason_required and not reason:
        return _error(
            "reason_required",
            _("Give a reason or case reference before playing or downloading."),
            400,
        )
    download = request.GET.get("download") in ("1", "true", "yes")
    original = download or request.GET.get("original") in ("1", "true", "yes")
    store = get_store()
    try:
        source = (
            original_source(recording)
            if original or not needs_rendition(recording)
            else rendition_source(recording, store)
        )
    except ObjectMissing:
        return _error("audio_missing", _("The audio cannot be found in the store."), 404)

    byte_range = None
    if if_range_allows(request.headers.get("If-Range"), source):
        try:
            byte_range = parse_range(request.headers.get("Range"), source.size)
        except RangeNotSatisfiable:
            return _error(
                "range_not_satisfiable",
                _("The requested range is not part of the audio."),
                416,
                Content_Range=f"bytes */{source.size}",
                Accept_Ranges="bytes",
            )

    start, end = byte_range if byte_range else (0, source.size - 1)
    length = max(0, end - start + 1)
    if request.method != "HEAD":
        starts_access = start == 0
        if download and starts_access:
            record_audio_access(
                actor=actor,
                tenant=tenant,
                recording=recording,
                action="recording.downloaded",
                data={"reason": reason, "file": download_filename(recording)},
            )
        elif not download and _opens_play_window(actor, recording):
            record_audio_access(
                actor=actor,
                tenant=tenant,
                recording=recording,
                action="recording.played",
                data={"reason": reason, "rendition": source.rendition},
            )

    if request.method == "HEAD" or length == 0:
        response = HttpResponse(status=206 if byte_range else 200)
    else:
        try:
            body = store.get_range(source.key, start, end)
        except ObjectMissing:
            return _error("audio_missing", _("The audio cannot be found in the store."), 404)
        response = StreamingHttpResponse(body.chunks, status=206 if byte_range else 200)
    response["Content-Type"] = source.content_type
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = source.etag
    response["Last-Modified"] = http_date(source.last_modified.timestamp())
    response["Cache-Control"] = "private, no-store"
    if byte_range:
        response["Content-Range"] = f"bytes {start}-{end}/{source.size}"
    response["Content-Disposition"] = content_disposition_header(
        download, download_filename(recording)
    )
    return response
