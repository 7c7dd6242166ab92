"""Receiving audio over HTTP without holding it in memory.

Every multipart upload of audio (the PBX push, the menu's client upload) streams to a
temporary file on disk through Django's ``TemporaryFileUploadHandler``; in front of it,
:class:`LimitedHashingUploadHandler` hashes the bytes as they pass and stops the upload once
they exceed ``settings.INGEST_MAX_UPLOAD_BYTES`` (413 ``too_large``). A declared
``Content-Length`` above the limit is refused before a byte is read.

The form is split by :class:`AudioFormParser`: the ``multipart`` library's push parser in
front of Django's upload handlers (Django's own parser walks each chunk through several
layers of re-read and put-back buffers: about a quarter of the parsing CPU more on a
2.9 MB push, docs/performance.md).
"""

import hashlib

import multipart
from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.files.uploadhandler import (
    FileUploadHandler,
    SkipFile,
    StopFutureHandlers,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import QueryDict
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.utils.datastructures import MultiValueDict
from django.utils.encoding import force_str
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, ParseError
from rest_framework.parsers import BaseParser, DataAndFiles

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


class AudioFormParser(BaseParser):
    """``multipart/form-data`` for DRF, split by ``multipart.PushMultipartParser`` and handed
    to the request's upload handlers exactly as Django's ``MultiPartParser`` hands it: each
    file's chunks through the handlers in order (``new_file``, ``receive_data_chunk``,
    ``file_complete``, ``StopUpload``, ``SkipFile``, ``StopFutureHandlers``), file names
    sanitised by Django's rule, Django's limits on fields, files and field bytes
    (``DATA_UPLOAD_MAX_*``). A malformed form is a ``ParseError`` (400 ``parse_error``),
    as with DRF's parser."""

    media_type = "multipart/form-data"

    def parse(self, stream, media_type=None, parser_context=None):
        context = parser_context or {}
        request = context["request"]
        encoding = context.get("encoding") or settings.DEFAULT_CHARSET
        try:
            return _Form(request, stream, media_type or "", encoding).parse()
        except multipart.MultipartError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc


class _Form:
    def __init__(self, request, stream, media_type: str, encoding: str):
        self.request, self.stream, self.encoding = request, stream, encoding
        self.handlers = list(request.upload_handlers)
        _type, params = parse_header_parameters(media_type)
        self.boundary = params.get("boundary", "")
        try:
            self.length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            self.length = -1
        self.data = QueryDict(mutable=True, encoding=encoding)
        self.files = MultiValueDict()
        self.fields = self.file_count = self.field_bytes = 0

    def parse(self) -> DataAndFiles:
        if not self.boundary or self.length < 0:
            raise ParseError("Multipart form parse error - Invalid boundary or length.")
        for handler in self.handlers:
            result = handler.handle_raw_input(self.stream, self.request.META, self.length,
                                              self.boundary, self.encoding)
            if result is not None:
                return DataAndFiles(*result)
        parser = multipart.PushMultipartParser(
            self.boundary, content_length=self.length,
            max_segment_count=_limit("DATA_UPLOAD_MAX_NUMBER_FIELDS")
            + _limit("DATA_UPLOAD_MAX_NUMBER_FILES") + 1)
        segment, stop = None, None
        try:
            with parser:
                while not parser.closed:
                    for event in parser.parse(self.stream.read(CHUNK_BYTES)):
                        if isinstance(event, multipart.MultipartSegment):
                            segment = _Segment(self, event)
                        elif event:
                            segment.receive(event)
                        else:
                            segment.complete()
        except StopUpload as exc:
            stop = exc
            self.close_files()
        finally:
            if segment is not None and not segment.done:
                self.close_files()
        if stop is None or not stop.connection_reset:
            while self.stream.read(CHUNK_BYTES):  # the rest of the body, as Django does
                pass
        for handler in self.handlers:
            if handler.upload_complete() is not None:
                break
        self.data._mutable = False
        return DataAndFiles(self.data, self.files)

    def close_files(self):
        for handler in self.handlers:
            if hasattr(handler, "file"):
                handler.file.close()


def _limit(name: str) -> int:
    value = getattr(settings, name)
    return 10**9 if value is None else value


class _Segment:
    """One part of the form: a field (collected, decoded) or a file (through the handlers)."""

    def __init__(self, form: _Form, event):
        self.form, self.done = form, False
        self.name = force_str(event.name or "", form.encoding, errors="replace")
        self.file_name = None
        if event.filename is not None:
            self.file_name = DjangoMultiPartParser.sanitize_file_name(None, event.filename)
        self.is_file = event.filename is not None
        self.active = []
        self.parts = []
        if not self.is_file:
            form.fields += 1
            if form.fields > _limit("DATA_UPLOAD_MAX_NUMBER_FIELDS"):
                raise TooManyFieldsSent(
                    "The number of GET/POST parameters exceeded "
                    "settings.DATA_UPLOAD_MAX_NUMBER_FIELDS.")
            return
        form.file_count += 1
        if form.file_count > _limit("DATA_UPLOAD_MAX_NUMBER_FILES"):
            raise TooManyFilesSent(
                "The number of files exceeded settings.DATA_UPLOAD_MAX_NUMBER_FILES.")
        if not self.file_name:
            return  # an empty or unusable file name: skipped, as Django skips it
        content_type = event.content_type or ""
        self.counters = []
        for handler in form.handlers:
            try:
                handler.new_file(self.name, self.file_name, content_type, None, event.charset,
                                 {})
            except StopFutureHandlers:
                self.active.append(handler)
                break
            self.active.append(handler)
        self.counters = [0] * len(self.active)

    def receive(self, chunk):
        if not self.is_file:
            self.form.field_bytes += len(chunk)
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and self.form.field_bytes > limit:
                raise RequestDataTooBig(
                    "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
            self.parts.append(chunk)
            return
        if not self.active:
            return
        try:
            for index, handler in enumerate(self.active):
                length = len(chunk)
                chunk = handler.receive_data_chunk(chunk, self.counters[index])
                self.counters[index] += length
                if chunk is None:
                    break
        except SkipFile:
            self.form.close_files()
            self.active = []

    def complete(self):
        self.done = True
        form = self.form
        if not self.is_file:
            value = force_str(b"".join(self.parts), form.encoding, errors="replace")
            form.data.appendlist(self.name, value)
            return
        for index, handler in enumerate(self.active):
            uploaded = handler.file_complete(self.counters[index])
            if uploaded:
                form.files.appendlist(self.name, uploaded)
                break


class ReceivingMixin:
    """For API views that accept one audio file as multipart field ``audio``, split by
    :class:`AudioFormParser`."""

    parser_classes = [AudioFormParser]

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
