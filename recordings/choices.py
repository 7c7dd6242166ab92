"""Enums of the recordings part. Values are stable codes of the API and the database."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    INBOUND = "inbound", _("inbound")
    OUTBOUND = "outbound", _("outbound")
    INTERNAL = "internal", _("internal")


class Consent(models.TextChoices):
    """The caller's answer to the recording notice. ``objected`` is final (see services)."""

    UNKNOWN = "unknown", _("unknown")
    NOTIFIED = "notified", _("notified")
    CONSENTED = "consented", _("consented")
    OBJECTED = "objected", _("objected")
    NO_INPUT = "no_input", _("no input")


# What a report may set (``unknown`` is only the initial state).
CONSENT_OUTCOMES = (Consent.NOTIFIED, Consent.CONSENTED, Consent.OBJECTED, Consent.NO_INPUT)


class ConsentSource(models.TextChoices):
    PBX = "pbx", _("PBX")
    ROUTING = "routing", _("call routing")
    AGENT = "agent", _("agent")
    ADMIN = "admin", _("administrator")
    UPLOAD = "upload", _("upload")


class Kind(models.TextChoices):
    AUTO = "auto", _("automatic (Monitor licence)")
    ON_DEMAND = "on_demand", _("on demand (Record licence, server)")
    CLIENT = "client", _("client (Record licence, softphone)")


# The licence each kind needs at the call's start (licensing.choices.License values).
REQUIRED_LICENSE = {Kind.AUTO: "monitor", Kind.ON_DEMAND: "record", Kind.CLIENT: "record"}


class IngestSource(models.TextChoices):
    PUSH = "push", _("PBX push")
    S3_INBOX = "s3_inbox", _("S3 inbox")
    SPOOL = "spool", _("spool folder")
    UPLOAD = "upload", _("upload in the customer menu")


class IngestStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    PROCESSING = "processing", _("processing")
    STORED = "stored", _("stored")
    REJECTED = "rejected", _("rejected")
    QUARANTINED = "quarantined", _("quarantined")


class IngestReason(models.TextChoices):
    """Why an ingest ended as it did (or why it waits). Stable codes of the API."""

    # rejected: the input cannot become a recording
    EMPTY = "empty", _("the file is empty")
    NOT_AUDIO = "not_audio", _("the file is not audio")
    CORRUPT = "corrupt", _("the audio is corrupt")
    UNSUPPORTED_FORMAT = "unsupported_format", _("the audio format is not supported")
    INVALID_METADATA = "invalid_metadata", _("the metadata is invalid")
    CALLER_OBJECTED = "caller_objected", _("the caller objected: audio discarded")
    # quarantined: kept, waiting for a person
    UNKNOWN_EXTENSION = "unknown_extension", _("the extension is not known yet")
    STAGED_MISSING = "staged_missing", _("the received file is missing")
    CHECKSUM_MISMATCH = "checksum_mismatch", _("the staged file differs from what was received")
    STORAGE_ERROR = "storage_error", _("the storage refused the recording")
    INTERNAL_ERROR = "internal_error", _("unexpected error")
    # stored, with a remark
    DUPLICATE = "duplicate", _("the same audio of this call was stored already")
    # queued again after a transient failure (kept while it retries)
    TRANSIENT_ERROR = "transient_error", _("temporary failure, retrying")


AUDIO_REJECTIONS = (IngestReason.EMPTY, IngestReason.NOT_AUDIO, IngestReason.CORRUPT,
                    IngestReason.UNSUPPORTED_FORMAT)
# Ingests that a person may send through the pipeline again.
RETRYABLE_STATUSES = (IngestStatus.REJECTED, IngestStatus.QUARANTINED)
NOT_RETRYABLE_REASONS = (IngestReason.CALLER_OBJECTED,)


class StagedIn(models.TextChoices):
    """Where the received bytes wait for the pipeline."""

    NONE = "", _("nowhere (removed)")
    LOCAL = "local", _("local staging folder")
    STORE = "store", _("recordings store")


class AudioState(models.TextChoices):
    STORED = "stored", _("stored")
    DISCARDED = "discarded", _("discarded")


class DiscardReason(models.TextChoices):
    CALLER_OBJECTED = "caller_objected", _("the caller objected")
    RETENTION = "retention", _("retention period ended")
    DELETED = "deleted", _("deleted by a person")
    ERASURE = "erasure", _("erasure request (GDPR Art. 17)")
