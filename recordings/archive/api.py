"""Customer API of the archive (``/api/v1/tenants/<tenant_slug>/``): exports, legal hold,
deletion with a reason, data-subject requests, the objection after the call and the archive
settings. Role checks use the capability functions of :mod:`.permissions`."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from hostedpbx.api.base import TenantAPIView, TenantScopedViewSet
from hostedpbx.api.errors import ApiError, conflict
from hostedpbx.api.pagination import StableCursorPagination
from hostedpbx.api.schema import DeleteWithBodySchema
from recordings.api.serializers import CallConsentSerializer
from recordings.models import ArchivePolicy, Export, Recording, SubjectRequest
from tenancy.choices import ALL_ROLES

from . import exports, holds, objection, permissions, retention, subject_requests
from .errors import ArchiveConflict
from .policy import POLICY_FIELDS, policy_for, update_policy

UUID_REGEX = "[0-9a-fA-F-]{32,36}"


def _deny(allowed: bool):
    if not allowed:
        raise PermissionDenied(
            detail="Your role in this tenant does not allow this.", code="role_not_permitted"
        )


def _raise_conflict(exc: ArchiveConflict):
    raise conflict(exc.code, str(exc))


def _reason(request) -> str:
    value = request.query_params.get("reason", "")
    if not value and hasattr(request.data, "get"):
        value = request.data.get("reason", "")
    return str(value or "").strip()


# --- exports --------------------------------------------------------------------------------
class ExportSerializer(serializers.ModelSerializer):
    # Plain strings in the schema (their enum names would collide with the ingest's).
    status = serializers.CharField(
        read_only=True, help_text="queued | running | ready | failed | expired"
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                              allow_null=True)  # null once the account is gone
    progress = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = (
            "export_id",
            "status",
            "total",
            "done",
            "progress",
            "estimated_bytes",
            "size",
            "sha256",
            "filters",
            "recording_ids",
            "reason",
            "created_by",
            "created_at",
            "finished_at",
            "expires_at",
            "error",
            "download_url",
            "subject_request",
        )
        read_only_fields = fields

    def get_progress(self, export) -> int:
        return export.percent

    def get_download_url(self, export) -> str | None:
        if export.status != "ready":
            return None
        from django.urls import reverse

        return reverse(
            "export-download",
            kwargs={"tenant_slug": export.tenant.slug, "export_id": export.export_id},
        )


class ExportCreateSerializer(serializers.Serializer):
    ids = serializers.ListField(
        # Refused as input with a field code (``min_value``, ``max_value``), not looked up.
        child=serializers.IntegerField(min_value=1, max_value=exports.MAX_ID),
        required=False,
        help_text="recording ids (else the filters choose)",
    )
    filters = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="the filter parameters of recordings/",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ExportPagination(StableCursorPagination):
    ordering = ("-created_at", "-id")


class ExportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantScopedViewSet
):
    """ZIP exports: create by ids or by the list's filters (the same parameters as
    ``recordings/``, in ``filters`` or in the query string); status and progress; download."""

    scoped_model = Export
    serializer_class = ExportSerializer
    pagination_class = ExportPagination
    lookup_field = "export_id"
    lookup_url_kwarg = "export_id"
    lookup_value_regex = UUID_REGEX
    write_roles = ALL_ROLES

    def optimize_queryset(self, qs):
        return qs.select_related("tenant", "created_by")

    @extend_schema(request=ExportCreateSerializer, responses={202: ExportSerializer})
    def create(self, request, *args, **kwargs):
        _deny(permissions.may_export(self.membership))
        body = ExportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data.get("ids"):
            queryset = exports.selected_recordings(
                actor=self.actor, tenant=self.tenant, ids=data["ids"]
            )
            filters = {"ids": data["ids"][:1000]}
        else:
            filters = exports.clean_filters(data.get("filters") or request.query_params,
                                            strict=True)
            queryset = exports.filtered_recordings(
                actor=self.actor, tenant=self.tenant, filters=filters
            )
        export = exports.create_export(
            actor=self.actor,
            tenant=self.tenant,
            queryset=queryset,
            filters=filters,
            reason=data.get("reason", ""),
        )
        return Response(self.get_serializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[OpenApiParameter("reason", str, required=False)],
        responses={
            (200, "application/zip"): bytes,
            409: OpenApiResponse(description="`export_not_ready`"),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request, *args, **kwargs):
        """The ZIP (audited ``export.downloaded`` each time)."""
        export = self.get_object()
        from django.core.exceptions import ValidationError

        try:
            body = exports.open_export(
                actor=self.actor, tenant=self.tenant, export=export, reason=_reason(request)
            )
        except ValidationError as exc:
            if exc.code == "reason_required":
                raise
            raise conflict("export_not_ready", " ".join(exc.messages))
        response = StreamingHttpResponse(body.chunks, content_type="application/zip")
        response["Content-Length"] = str(body.length)
        response["Content-Disposition"] = f'attachment; filename="{exports.download_name(export)}"'
        return response


# --- legal hold and deletion ----------------------------------------------------------------
class LegalHoldSerializer(serializers.Serializer):
    case_reference = serializers.CharField(max_length=200, required=False, allow_blank=True)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class LegalHoldResultSerializer(serializers.Serializer):
    """The answer of setting and of lifting one recording's hold."""

    recording_id = serializers.IntegerField()
    legal_hold = serializers.BooleanField()
    changed = serializers.BooleanField()
    case_reference = serializers.CharField(
        allow_null=True, help_text="the active hold's case reference; null without a hold"
    )


class RecordingLegalHoldView(TenantAPIView):
    """POST sets the legal hold of one recording (``case_reference`` required), DELETE lifts
    it (optional ``reason``). Admins and compliance officers."""

    read_roles = permissions.KEEPERS
    write_roles = permissions.KEEPERS

    def _recording(self, recording_id):
        _deny(permissions.may_set_legal_hold(self.membership))
        return get_object_or_404(
            Recording.objects.for_actor(self.actor, self.tenant), pk=recording_id
        )

    def _answer(self, recording, changed):
        recording.refresh_from_db()
        hold = holds.active_hold(recording)
        return Response(
            {
                "recording_id": recording.pk,
                "legal_hold": recording.legal_hold,
                "changed": changed,
                "case_reference": hold.case_reference if hold else None,
            }
        )

    @extend_schema(request=LegalHoldSerializer, responses=LegalHoldResultSerializer)
    def post(self, request, tenant_slug, recording_id):
        recording = self._recording(recording_id)
        body = LegalHoldSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changed = holds.set_legal_hold(
            actor=self.actor,
            recording=recording,
            case_reference=body.validated_data.get("case_reference", ""),
            note=body.validated_data.get("note", ""),
        )
        return self._answer(recording, changed)

    # A bare response on a DELETE is documented as 204 without a body: name the 200.
    @extend_schema(
        parameters=[OpenApiParameter("reason", str, required=False)],
        responses={200: LegalHoldResultSerializer},
    )
    def delete(self, request, tenant_slug, recording_id):
        recording = self._recording(recording_id)
        changed = holds.lift_legal_hold(
            actor=self.actor, recording=recording, reason=_reason(request)
        )
        return self._answer(recording, changed)


class BulkLegalHoldSerializer(serializers.Serializer):
    filters = serializers.DictField(child=serializers.CharField(), required=False)
    expected_count = serializers.IntegerField(
        help_text="how many recordings the caller saw matching (a count confirmation)"
    )
    case_reference = serializers.CharField(max_length=200, required=False, allow_blank=True)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class BulkLegalHoldView(TenantAPIView):
    """Set (POST) or lift (DELETE) the legal hold on every recording matching ``filters``
    (the ``recordings/`` filter parameters). ``expected_count`` must equal the number that
    matches now (409 ``count_changed`` otherwise): GET with the filters as query parameters
    answers that number."""

    read_roles = permissions.KEEPERS
    write_roles = permissions.KEEPERS
    schema = DeleteWithBodySchema()  # the lift's body is the set's

    def _queryset(self, filters):
        _deny(permissions.may_set_legal_hold(self.membership))
        filters = exports.clean_filters(filters, strict=True)
        if not filters:
            raise ApiError("filter_required", _("Choose at least one filter."))
        return filters, exports.filtered_recordings(
            actor=self.actor, tenant=self.tenant, filters=filters
        )

    @extend_schema(
        operation_id="recordings_legal_hold_bulk_count",
        responses={
            200: inline_serializer(
                "BulkLegalHoldCount",
                {"count": serializers.IntegerField(), "held": serializers.IntegerField()},
            ),
            # The filters are query parameters the schema does not list.
            400: OpenApiResponse(description="`filter_required`, or a filter that is refused"),
        },
    )
    def get(self, request, tenant_slug):
        _filters, queryset = self._queryset(request.query_params)
        return Response(
            {"count": queryset.count(), "held": queryset.filter(legal_hold=True).count()}
        )

    def _run(self, request, setting):
        body = BulkLegalHoldSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        filters, queryset = self._queryset(data.get("filters") or {})
        try:
            if setting:
                changed = holds.set_legal_hold_many(
                    actor=self.actor,
                    tenant=self.tenant,
                    queryset=queryset,
                    case_reference=data.get("case_reference", ""),
                    expected_count=data["expected_count"],
                    note=data.get("note", ""),
                    filters=filters,
                )
            else:
                changed = holds.lift_legal_hold_many(
                    actor=self.actor,
                    tenant=self.tenant,
                    queryset=queryset,
                    expected_count=data["expected_count"],
                    reason=data.get("reason", ""),
                    filters=filters,
                )
        except ArchiveConflict as exc:
            _raise_conflict(exc)
        return Response({"matched": data["expected_count"], "changed": changed})

    @extend_schema(
        operation_id="recordings_legal_hold_bulk_set",
        request=BulkLegalHoldSerializer,
        responses={
            200: inline_serializer(
                "BulkLegalHoldResult",
                {"matched": serializers.IntegerField(), "changed": serializers.IntegerField()},
            ),
            409: OpenApiResponse(description="`count_changed`"),
        },
    )
    def post(self, request, tenant_slug):
        return self._run(request, True)

    @extend_schema(
        operation_id="recordings_legal_hold_bulk_lift",
        request=BulkLegalHoldSerializer,
        responses={
            200: inline_serializer(
                "BulkLegalHoldLifted",
                {"matched": serializers.IntegerField(), "changed": serializers.IntegerField()},
            ),
            409: OpenApiResponse(description="`count_changed`"),
        },
    )
    def delete(self, request, tenant_slug):
        return self._run(request, False)


class RecordingDeleteMixin:
    """Adds DELETE ``recordings/<id>/`` to the recordings viewset: deletes the audio with a
    required ``reason`` (body or ``?reason=``); a tombstone stays. 409 ``legal_hold`` for a
    held recording. Admins and compliance officers."""

    write_roles = permissions.KEEPERS

    @extend_schema(
        parameters=[OpenApiParameter("reason", str, required=True)],
        responses={
            204: None,
            409: OpenApiResponse(description="`legal_hold`, `already_discarded`"),
        },
    )
    def destroy(self, request, *args, **kwargs):
        _deny(permissions.may_delete_recordings(self.membership))
        recording = self.get_object()
        try:
            retention.delete_recording(
                actor=self.actor, recording=recording, reason=_reason(request)
            )
        except ArchiveConflict as exc:
            _raise_conflict(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- objection ------------------------------------------------------------------------------
class ObjectionSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="required: why (e.g. how the caller objected)",
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="older name of reason"
    )


class CallObjectionView(TenantAPIView):
    """Record the caller's objection after the call (``reason`` required): the call's audio is
    discarded, a tombstone stays. Admins and compliance officers on any call; agents on their
    own calls when the tenant allows it."""

    read_roles = ALL_ROLES
    write_roles = ALL_ROLES

    @extend_schema(
        request=ObjectionSerializer,
        responses=inline_serializer(
            "ObjectionRecorded",
            {
                "call": CallConsentSerializer(),
                "changed": serializers.BooleanField(),
                "recordings_discarded": serializers.IntegerField(),
                "recordings_on_hold": serializers.IntegerField(),
            },
        ),
    )
    def post(self, request, tenant_slug, call_id):
        from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

        try:
            call = objection.access_call_to_object(
                actor=self.actor, membership=self.membership, tenant=self.tenant, call_id=call_id
            )
        except DjangoPermissionDenied:
            _deny(False)
        body = ObjectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call, changed = objection.record_objection(
            actor=self.actor,
            membership=self.membership,
            call=call,
            reason=body.validated_data.get("reason") or body.validated_data.get("note", ""),
        )
        recordings = Recording.unscoped.filter(call=call)
        return Response(
            {
                "call": CallConsentSerializer(call).data,
                "changed": changed,
                "recordings_discarded": recordings.filter(audio_state="discarded").count(),
                "recordings_on_hold": recordings.filter(discard_pending=True).count(),
            }
        )


# --- data-subject requests ------------------------------------------------------------------
class SubjectRequestSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(
        max_length=16, help_text="access (GDPR Art. 15) | erasure (Art. 17)"
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True,
                                              allow_null=True)

    class Meta:
        model = SubjectRequest
        fields = (
            "id",
            "kind",
            "number",
            "number_e164",
            "reason",
            "found",
            "created_by",
            "created_at",
            "erased_at",
            "erasure_report",
        )
        read_only_fields = (
            "id",
            "number_e164",
            "found",
            "created_by",
            "created_at",
            "erased_at",
            "erasure_report",
        )


class SubjectRequestPagination(StableCursorPagination):
    ordering = ("-created_at", "-id")


class SubjectRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantScopedViewSet
):
    """GDPR Art. 15/17 requests for a phone number (any notation). Create finds the calls,
    recordings and consent records; ``export/`` builds a ZIP with a manifest; ``erase/``
    erases all but what a legal hold keeps (reported). Admins and compliance officers."""

    scoped_model = SubjectRequest
    serializer_class = SubjectRequestSerializer
    pagination_class = SubjectRequestPagination
    lookup_url_kwarg = "request_id"
    lookup_value_regex = "[0-9]+"
    read_roles = permissions.KEEPERS
    write_roles = permissions.KEEPERS

    def create(self, request, *args, **kwargs):
        body = SubjectRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = subject_requests.create_subject_request(
            actor=self.actor,
            tenant=self.tenant,
            number=body.validated_data["number"],
            kind=body.validated_data["kind"],
            reason=body.validated_data.get("reason", ""),
        )
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: ExportSerializer})
    @action(detail=True, methods=["post"])
    def export(self, request, *args, **kwargs):
        subject = self.get_object()
        export = subject_requests.export_subject_data(
            actor=self.actor, tenant=self.tenant, request=subject
        )
        return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={
            200: SubjectRequestSerializer,
            409: OpenApiResponse(description="`not_an_erasure_request`"),
        },
    )
    @action(detail=True, methods=["post"])
    def erase(self, request, *args, **kwargs):
        subject = self.get_object()
        if subject.kind != SubjectRequest.Kind.ERASURE:
            raise conflict(
                "not_an_erasure_request", "Only an erasure request (kind erasure) erases data."
            )
        subject_requests.erase_subject_data(actor=self.actor, tenant=self.tenant, request=subject)
        subject.refresh_from_db()
        return Response(self.get_serializer(subject).data)


# --- settings -------------------------------------------------------------------------------
class ArchivePolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = ArchivePolicy
        fields = POLICY_FIELDS


class ArchivePolicyView(TenantAPIView):
    """The tenant's archive settings (retention in days, per kind; exports; who may record an
    objection). Everyone reads; admins change them (audited ``recordings.settings_changed``)."""

    @extend_schema(responses=ArchivePolicySerializer)
    def get(self, request, tenant_slug):
        return Response(ArchivePolicySerializer(policy_for(self.tenant)).data)

    @extend_schema(request=ArchivePolicySerializer, responses=ArchivePolicySerializer)
    def put(self, request, tenant_slug):
        return self._change(request, partial=False)

    @extend_schema(request=ArchivePolicySerializer, responses=ArchivePolicySerializer)
    def patch(self, request, tenant_slug):
        return self._change(request, partial=True)

    def _change(self, request, *, partial):
        _deny(permissions.may_change_archive_settings(self.membership))
        body = ArchivePolicySerializer(policy_for(self.tenant), data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        policy = update_policy(actor=self.actor, tenant=self.tenant, **body.validated_data)
        return Response(ArchivePolicySerializer(policy).data)
