"""Receiving audio over HTTP without holding it in memory.

Every multipart upload of audio (the PBX push, the menu's client upload) streams to a
temporary file on disk through Django's ``TemporaryFileUploadHandler``; in front of it,
:class:`LimitedHashingUploadHandler` hashes the bytes as they pass and stops the upload once
they exceed ``settings.INGEST_MAX_UPLOAD_BYTES`` (413 ``too_large``). A declared
``Content-Length`` above the limit is refused before a byte is read.
"""

import hashlib

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail

from hostedpbx.api.errors import ApiError

AUDIO_FIELD = "audio"
# Bytes handed to the handlers at a time. The default 64 KiB makes gunicorn's request reader
# copy its read-ahead buffer (up to 1 MiB) once per read; 1 MiB reads take what it holds:
# about a fifth less CPU per 2.9 MB push (docs/performance.md).
CHUNK_BYTES = 1024 * 1024
# Room for the multipart boundaries and the metadata fields beside the audio.
FORM_OVERHEAD = 1024 * 1024


def too_large(limit):
    return ApiError("too_large", _("The upload exceeds the limit of %(limit)s bytes.")
                    % {"limit": limit},
                    status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, limit=limit)


class LimitedHashingUploadHandler(FileUploadHandler):
    """First in the handler chain: SHA-256 and size of each file as it streams past, and a
    stop once all files together pass ``limit`` bytes."""

    chunk_size = CHUNK_BYTES

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.total = 0
        self.exceeded = False
        self.digests: list[tuple[str, str, int]] = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self._sha = hashlib.sha256()
        self._size = 0

    def receive_data_chunk(self, raw_data, start):
        self.total += len(raw_data)
        self._size += len(raw_data)
        if self.total > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        self._sha.update(raw_data)
        return raw_data

    def file_complete(self, file_size):
        self.digests.append((self.field_name, self._sha.hexdigest(), self._size))
        return None


class StagingFileUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary file, written in :data:`CHUNK_BYTES` pieces."""

    chunk_size = CHUNK_BYTES


class ReceivingMixin:
    """For API views that accept one audio file as multipart field ``audio``."""

    def initialize_request(self, request, *args, **kwargs):
        # Before DRF wraps the request: authentication (CSRF) may parse the body already.
        self.upload_guard = LimitedHashingUploadHandler(request, limit=self.upload_limit())
        request.upload_handlers = [self.upload_guard, StagingFileUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    def upload_limit(self) -> int:
        return int(settings.INGEST_MAX_UPLOAD_BYTES)

    def initial(self, request, *args, **kwargs):
        if request.method == "POST":
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > self.upload_limit() + FORM_OVERHEAD:
                raise too_large(self.upload_limit())
        super().initial(request, *args, **kwargs)

    def received_file(self, request):
        """``(uploaded file, sha256, size)``, or ``(None, "", 0)`` with the field error in
        ``self.file_errors``; raises 413 when the upload was too large."""
        files = request.FILES.getlist(AUDIO_FIELD)
        if self.upload_guard.exceeded:
            raise too_large(self.upload_limit())
        self.file_errors = {}
        if not files:
            self.file_errors[AUDIO_FIELD] = [ErrorDetail("An audio file is required.",
                                                         code="required")]
            return None, "", 0
        if len(files) > 1:
            self.file_errors[AUDIO_FIELD] = [ErrorDetail("Send one audio file per request.",
                                                         code="multiple_files")]
            return None, "", 0
        digests = [d for d in self.upload_guard.digests if d[0] == AUDIO_FIELD]
        _field, sha256, size = digests[0]
        return files[0], sha256, size

    def raise_errors(self, metadata_errors: dict):
        errors = {**metadata_errors, **getattr(self, "file_errors", {})}
        if errors:
            raise serializers.ValidationError(errors)
