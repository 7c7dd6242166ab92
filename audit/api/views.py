from django.db import transaction
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

import audit
from audit import exports
from audit.chain import verify
from audit.models import AuditEvent
from hostedpbx.api.base import TenantAPIView, TenantScopedViewSet
from hostedpbx.api.errors import ApiError
from hostedpbx.api.pagination import StableCursorPagination
from tenancy import permissions

from .filters import AuditEventFilter
from .serializers import AuditEventSerializer, VerifyResultSerializer

REVIEWERS = permissions.REVIEW_AUDIT


class AuditCursorPagination(StableCursorPagination):
    ordering = ("-seq",)


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """The tenant's audit trail, newest first. Admins and compliance officers see all of it;
    other roles see only their own actions."""

    scoped_model = AuditEvent
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    pagination_class = AuditCursorPagination
    lookup_url_kwarg = "event_id"
    lookup_value_regex = "[0-9]+"

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "jsonl"])],
        responses={(200, "text/csv"): OpenApiTypes.STR,
                   (200, "application/x-ndjson"): OpenApiTypes.STR},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request, tenant_slug=None):
        """Stream the (filtered) trail as CSV or JSONL, oldest first. The export is audited."""
        if not permissions.may_review_audit(self.membership):
            raise ApiError("role_not_permitted", "Only admins and compliance officers export.",
                           status=403)
        kind = request.query_params.get("format", "jsonl")
        if kind not in ("csv", "jsonl"):
            raise ApiError("invalid_format", "format must be csv or jsonl.")
        events = self.filter_queryset(self.get_queryset()).order_by("seq")
        with transaction.atomic():
            audit.record(actor=request.user, tenant=self.tenant, action="audit.exported",
                         data={"format": kind, "filters": dict(request.query_params.lists())})
        lines = exports.csv_lines(events.iterator(chunk_size=2000)) if kind == "csv" else (
            exports.jsonl_lines(events.iterator(chunk_size=2000)))
        content_type = "text/csv; charset=utf-8" if kind == "csv" else "application/x-ndjson"
        response = StreamingHttpResponse(lines, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="audit-{self.tenant.slug}.{kind}"'
        )
        return response


class AuditVerifyView(TenantAPIView):
    """Verify the tenant's hash chain from its first event to its head."""

    read_roles = REVIEWERS
    write_roles = REVIEWERS

    @extend_schema(responses=VerifyResultSerializer)
    def get(self, request, tenant_slug=None):
        result = verify(self.tenant)
        with transaction.atomic():
            audit.record(actor=request.user, tenant=self.tenant, action="audit.verified",
                         data={"ok": result.ok, "count": result.count})
        return Response({
            "ok": result.ok, "count": result.count, "bad_event_id": result.bad_event_id,
            "bad_seq": result.bad_seq, "reason": result.reason, "message": result.message(),
        })
