"""Customer API of the recordings part (``/api/v1/tenants/<tenant_slug>/``).

Visibility of recordings: ``RecordingQuerySet.visible_q`` (admins and compliance officers the
tenant, supervisors their own and supervised extensions, members their own; docs/archive.md).
Ingests: admins and compliance officers all, others their own uploads.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from hostedpbx.api.base import TenantAPIView, TenantReadOnlyViewSet
from hostedpbx.api.errors import ApiError, conflict, drf_error_dict
from hostedpbx.api.filters import invalid_filter
from hostedpbx.api.pagination import StableCursorPagination
from recordings import services
from recordings.choices import IngestSource, Kind
from recordings.exports_csv import metadata_csv_response
from recordings.filters import RecordingCursorPagination
from recordings.metadata import portal_call_id, validate_metadata
from recordings.models import Ingest, Recording, own_extension
from recordings.playback import audio_response
from recordings.selectors import (
    access_recording,
    ingest_counts,
    settings_for,
)
from tenancy import permissions
from tenancy.choices import ALL_ROLES
from tenancy.models import PbxUser

from .filters import IngestFilter, RecordingFilter
from .receiving import ReceivingMixin
from .serializers import (
    IngestAcceptedSerializer,
    IngestSerializer,
    RecordingDetailSerializer,
    RecordingSerializer,
    UploadSerializer,
)

UUID_REGEX = "[0-9a-fA-F-]{32,36}"


class IngestPagination(StableCursorPagination):
    ordering = ("-created_at", "-id")


class RecordingViewSet(TenantReadOnlyViewSet):
    """Recordings (and tombstones) the caller may see, cursor-paginated (``sort``: newest,
    oldest, longest, shortest). Invalid filters answer 400 ``invalid_filter``.

    Visibility: admins and compliance officers the whole tenant, supervisors their own and
    supervised extensions (or the tenant, when its settings say so), members their own."""

    scoped_model = Recording
    serializer_class = RecordingSerializer
    filterset_class = RecordingFilter
    pagination_class = RecordingCursorPagination
    lookup_url_kwarg = "recording_id"
    lookup_value_regex = "[0-9]+"
    recording_ordering = None

    def get_serializer_class(self):
        return RecordingDetailSerializer if self.action == "retrieve" else RecordingSerializer

    def optimize_queryset(self, qs):
        if self.action == "retrieve":
            return qs.select_related("ingest", "pbx_user")
        return qs.defer("peaks").select_related("pbx_user")

    def filter_queryset(self, queryset):
        if self.action not in ("list", "metadata_csv"):
            return queryset
        filterset = RecordingFilter(self.request.query_params, queryset=queryset,
                                    request=self.request)
        if not filterset.is_valid():
            raise invalid_filter(filterset)
        self.recording_ordering = filterset.ordering
        return filterset.qs

    @extend_schema(responses={(200, "text/csv"): str})
    @action(detail=False, methods=["get"], url_path="csv")
    def metadata_csv(self, request, *args, **kwargs):
        """The filtered list's metadata as CSV (every match, streamed; audited)."""
        rows = self.filter_queryset(self.get_queryset()).order_by(*self.recording_ordering)
        return metadata_csv_response(actor=self.actor, tenant=self.tenant, rows=rows,
                                     filters=dict(request.query_params.items()))

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        services.record_access(
            actor=self.actor, tenant=self.tenant, action="recording.listed",
            recordings=[Recording(pk=row["id"]) for row in response.data["results"]],
            filters={k: v for k, v in request.query_params.items() if k != "cursor"})
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        services.record_access(actor=self.actor, tenant=self.tenant,
                               action="recording.viewed",
                               recordings=[Recording(pk=response.data["id"])])
        return response


class IngestViewSet(TenantReadOnlyViewSet):
    """Received files and their progress; the list adds ``counts`` per status."""

    scoped_model = Ingest
    serializer_class = IngestSerializer
    filterset_class = IngestFilter
    pagination_class = IngestPagination
    lookup_field = "ingest_id"
    lookup_url_kwarg = "ingest_id"
    lookup_value_regex = UUID_REGEX

    def optimize_queryset(self, qs):
        return qs.select_related("node", "uploaded_by")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response.data["counts"] = ingest_counts(self.get_queryset())
        return response

    @extend_schema(request=None, responses=IngestSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, *args, **kwargs):
        """Send a rejected or quarantined ingest through the pipeline again (admins)."""
        ingest = self.get_object()
        try:
            ingest = services.retry_ingest(actor=self.actor, ingest=ingest)
        except services.NotRetryable as exc:
            raise conflict("not_retryable", str(exc))
        return Response(self.get_serializer(ingest).data, status=status.HTTP_202_ACCEPTED)


class RecordingUploadView(ReceivingMixin, TenantAPIView):
    """Upload a recording made in the softphone (kind ``client``), one file per request.

    The extension is the uploader's own; admins may name another. Without ``call_id`` the
    call is named after the file's checksum, so uploading the same file again returns the
    same ingest.
    """

    read_roles = ALL_ROLES
    write_roles = ALL_ROLES
    @extend_schema(request={"multipart/form-data": UploadSerializer},
                   responses={202: IngestAcceptedSerializer})
    def post(self, request, tenant_slug):
        upload, sha256, size = self.received_file(request)
        data = request.data
        extension = own_extension(self.membership)
        requested = str(data.get("extension", "")).strip()
        if requested and permissions.may_upload_for_any_extension(self.membership):
            if not PbxUser.unscoped.filter(tenant=self.tenant, extension=requested).exists():
                raise ApiError("unknown_extension", _("No PBX user has this extension."))
            extension = requested
        if not extension:
            raise ApiError("no_extension", _("Your account speaks for no extension; ask an "
                                             "administrator to link one."))
        fields = {
            # The portal's own call-id space: an upload never claims a call the PBX owns.
            "call_id": portal_call_id(str(data.get("call_id", "")).strip()
                                      or f"upload-{sha256[:32]}"),
            "extension": extension, "kind": Kind.CLIENT,
            **{name: data.get(name, "") for name in ("direction", "remote_number",
                                                     "started_at", "consent")},
        }
        try:
            metadata = validate_metadata(fields, portal=True)
        except DjangoValidationError as exc:
            self.raise_errors(drf_error_dict(exc))
        self.raise_errors({})
        ingest, _created = services.receive_audio(
            tenant=self.tenant, source=IngestSource.UPLOAD, metadata=metadata,
            temp_path=upload.temporary_file_path(), sha256=sha256, size=size,
            original_name=upload.name, uploaded_by=request.user,
        )
        return Response({"ingest_id": str(ingest.ingest_id), "status": ingest.status,
                         "call_id": ingest.call_id, "file": upload.name},
                        status=status.HTTP_202_ACCEPTED)


class IgnoreAcceptNegotiation(DefaultContentNegotiation):
    """Audio answers with its own type whatever ``Accept`` says (an ``<audio>`` element or a
    client asking for ``audio/*`` must not get 406)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class RecordingAudioView(TenantAPIView):
    """The recording's audio (GET/HEAD) with byte ranges; ``?download=1`` the original as an
    attachment. See ``recordings.playback`` for ranges, renditions, audit and reasons."""

    content_negotiation_class = IgnoreAcceptNegotiation

    @extend_schema(responses={(200, "audio/*"): bytes, (206, "audio/*"): bytes,
                              410: OpenApiResponse(description="`audio_discarded`: a "
                                                               "tombstone, the audio is gone"),
                              416: OpenApiResponse(description="`range_not_satisfiable`")},
                   parameters=[])
    def get(self, request, tenant_slug, recording_id):
        recording = access_recording(actor=self.actor, tenant=self.tenant,
                                     recording_id=recording_id)
        return audio_response(
            request._request, actor=self.actor, tenant=self.tenant, recording=recording,
            reason_required=settings_for(self.tenant).access_reason_required)

    def head(self, request, tenant_slug, recording_id):
        return self.get(request, tenant_slug, recording_id)
