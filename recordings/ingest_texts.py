"""What an ingest's status and reason mean, in the reader's language.

Stored rows keep codes (``status``, ``reason``) and, in ``reason_detail``, parameters as
``name=value; name=value`` (or ``field: code; …`` for invalid metadata), never sentences:
the page renders label and explanation here, from code and parameters, in the language of
whoever reads it.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy

from .choices import IngestReason, IngestStatus

STATUS_HELP = {
    IngestStatus.QUEUED: gettext_lazy("Waiting for the worker."),
    IngestStatus.PROCESSING: gettext_lazy("Being checked and stored right now."),
    IngestStatus.STORED: gettext_lazy("Stored in the archive."),
    IngestStatus.REJECTED: gettext_lazy("This file cannot become a recording."),
    IngestStatus.QUARANTINED: gettext_lazy("Kept and waiting for you."),
}

REASON_HELP = {
    IngestReason.EMPTY: gettext_lazy("The file has no audio in it (0 bytes or no samples)."),
    IngestReason.NOT_AUDIO: gettext_lazy("The file is not an audio file."),
    IngestReason.CORRUPT: gettext_lazy("The audio is damaged and cannot be decoded."),
    IngestReason.UNSUPPORTED_FORMAT: gettext_lazy(
        "This audio format is not accepted: use WAV, MP3, OGG/Opus or FLAC."),
    IngestReason.INVALID_METADATA: gettext_lazy("Details that came with the file are wrong."),
    IngestReason.CALLER_OBJECTED: gettext_lazy(
        "The caller objected to the recording; only a note that the call was recorded is "
        "kept."),
    IngestReason.UNKNOWN_EXTENSION: gettext_lazy(
        "Extension %(extension)s is not a PBX user of this tenant yet. Create it, and the "
        "recording continues by itself."),
    IngestReason.STAGED_MISSING: gettext_lazy(
        "The received file is no longer where it was kept for processing."),
    IngestReason.CHECKSUM_MISMATCH: gettext_lazy(
        "The file changed after it was received; it is kept for inspection."),
    IngestReason.STORAGE_ERROR: gettext_lazy(
        "The archive storage refused the recording. Check the storage, then retry."),
    IngestReason.INTERNAL_ERROR: gettext_lazy(
        "An unexpected error stopped the processing. Retry; if it happens again, tell your "
        "provider."),
    IngestReason.DUPLICATE: gettext_lazy(
        "The same audio of this call was stored already; it is kept once."),
    IngestReason.TRANSIENT_ERROR: gettext_lazy(
        "A service was briefly unavailable; it is retried automatically."),
}

AUDIO_DELETING = gettext_lazy("The audio reached the storage and is being deleted.")
AUDIO_NEVER_STORED = gettext_lazy("The audio was never stored.")

FIELD_LABELS = {
    "call_id": gettext_lazy("call ID"),
    "extension": gettext_lazy("extension"),
    "direction": gettext_lazy("direction"),
    "remote_number": gettext_lazy("remote number"),
    "local_number": gettext_lazy("local number"),
    "started_at": gettext_lazy("start of the call"),
    "ended_at": gettext_lazy("end of the call"),
    "kind": gettext_lazy("kind"),
    "consent": gettext_lazy("consent"),
    "metadata": gettext_lazy("details"),
}
CODE_LABELS = {
    "required": gettext_lazy("missing"),
    "invalid_call_id": gettext_lazy("not a valid call ID"),
    "invalid_extension": gettext_lazy("not an extension"),
    "invalid_choice": gettext_lazy("not an allowed value"),
    "invalid_number": gettext_lazy("not a telephone number"),
    "invalid_datetime": gettext_lazy("not a date and time"),
    "naive_datetime": gettext_lazy("a time without UTC offset"),
    "datetime_out_of_range": gettext_lazy("out of range"),
    "datetime_in_future": gettext_lazy("in the future"),
    "invalid_json": gettext_lazy("not readable"),
    "invalid": gettext_lazy("invalid"),
}


def parameters(detail: str) -> dict:
    """``{"extension": "2099"}`` from ``extension=2099``; values never contain ``;``."""
    params = {}
    for part in (detail or "").split(";"):
        name, sep, value = part.partition("=")
        if sep and name.strip().isidentifier():
            params[name.strip()] = value.strip()
    return params


def field_problems(detail: str) -> list[str]:
    """``start of the call: out of range`` per ``started_at: datetime_out_of_range``."""
    problems = []
    for part in (detail or "").split(";"):
        field, sep, code = part.partition(":")
        field, code = field.strip(), code.strip()
        if sep and field in FIELD_LABELS:
            problem = CODE_LABELS.get(code, CODE_LABELS["invalid"])
            problems.append(f"{FIELD_LABELS[field]}: {problem}")
    return problems


def explain(ingest) -> str:
    """The reason's explanation with its parameters (or the status's, without a reason)."""
    if not ingest.reason:
        return str(STATUS_HELP.get(ingest.status, ""))
    params = parameters(ingest.reason_detail)
    text = REASON_HELP.get(ingest.reason)
    if text is None:
        return ""
    if ingest.reason == IngestReason.UNKNOWN_EXTENSION:
        return str(text) % {"extension": params.get("extension") or ingest.extension or "?"}
    if ingest.reason == IngestReason.INVALID_METADATA:
        problems = field_problems(ingest.reason_detail)
        return " ".join([str(text), *([", ".join(problems) + "."] if problems else [])])
    if ingest.reason == IngestReason.CALLER_OBJECTED and params.get("audio"):
        more = AUDIO_DELETING if params["audio"] == "deleting" else AUDIO_NEVER_STORED
        return f"{text} {more}"
    return str(text)


def create_pbx_user_url(ingest, tenant) -> str:
    """Where to create the PBX user a quarantined ingest waits for ('' if not that case)."""
    if ingest.reason != IngestReason.UNKNOWN_EXTENSION:
        return ""
    try:
        url = reverse("tenancy:pbx-user-create", kwargs={"tenant_slug": tenant.slug})
    except NoReverseMatch:
        return ""
    extension = parameters(ingest.reason_detail).get("extension") or ingest.extension
    return f"{url}?extension={extension}" if extension.isdigit() else url


def shorten_middle(name: str, limit: int = 40) -> str:
    """``a-very-long-recording…-0815.wav``: the start and the end of a long name."""
    if len(name) <= limit:
        return name
    tail = max(8, limit // 3)
    return f"{name[:limit - tail - 1]}…{name[-tail:]}"


def labels_for_script() -> dict:
    """Status and reason labels for the upload page's script (``json_script``)."""
    return {
        "status": {value: str(label) for value, label in IngestStatus.choices},
        "reason": {value: str(label) for value, label in IngestReason.choices},
    }
