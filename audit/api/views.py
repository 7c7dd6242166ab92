from django.db import transaction
from django.db.models import Max, Min
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

import audit
from audit import checkpoints, exports
from audit.chain import verify
from audit.models import AuditChainHead, AuditEvent, chain_key
from audit.selectors import remember_verification
from audit.signing import public_key_b64
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
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "jsonl"]),
                    OpenApiParameter("tz", OpenApiTypes.STR, enum=["local", "utc"],
                                     description="CSV times in the tenant's local time "
                                                 "(default) or UTC; JSONL is always UTC")],
        responses={(200, "text/csv"): OpenApiTypes.STR,
                   (200, "application/x-ndjson"): OpenApiTypes.STR},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request, tenant_slug=None):
        """Stream the (filtered) trail as CSV or JSONL, oldest first. The export is audited.

        The JSONL export's first line states the chain, the range it holds, the chain head at
        export time and the signed checkpoints, so an offline check can tell a complete export
        from a partial (filtered) one and detect missing events.
        """
        if not permissions.may_review_audit(self.membership):
            raise ApiError("role_not_permitted", _("Only admins and compliance officers export."),
                           status=403)
        kind = request.query_params.get("format", "jsonl")
        if kind not in ("csv", "jsonl"):
            raise ApiError("invalid_format", _("format must be csv or jsonl."))
        zone_choice = request.query_params.get("tz", "local")
        if zone_choice not in ("local", "utc"):
            raise ApiError("invalid_time_zone", _("tz must be local or utc."))
        # Filters are validated here, before the export is audited and the stream starts.
        events = self.filter_queryset(self.get_queryset())
        filters = {key: values for key, values in request.query_params.lists()
                   if key not in ("format", "tz", "cursor")}
        with transaction.atomic():
            audit.record(actor=request.user, tenant=self.tenant, action="audit.exported",
                         data={"format": kind, "filters": filters, "time_zone": zone_choice})
        head = AuditChainHead.objects.get(chain=chain_key(self.tenant.pk))
        events = events.filter(seq__lte=head.last_seq).order_by("seq")
        if kind == "csv":
            zone, zone_name = exports.zone_for(zone_choice, self.tenant)
            lines = exports.csv_lines(events.iterator(chunk_size=2000), zone, zone_name)
        else:
            zone_name = "UTC"
            bounds = events.aggregate(first=Min("seq"), last=Max("seq"))
            signed = checkpoints.load(self.tenant)
            header = exports.export_header(
                tenant=self.tenant, head=head, checkpoints=signed.documents,
                public_key=public_key_b64(), filters=filters,
                first_seq=bounds["first"], last_seq=bounds["last"])
            lines = exports.jsonl_lines(events.iterator(chunk_size=2000), header)
        content_type = "text/csv; charset=utf-8" if kind == "csv" else "application/x-ndjson"
        response = StreamingHttpResponse(lines, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="audit-{self.tenant.slug}-{zone_name.replace("/", "-")}'
            f'.{kind}"'
        )
        response["X-Audit-Time-Zone"] = zone_name
        return response


class AuditVerifyView(TenantAPIView):
    """Verify the tenant's hash chain from its first event to its head."""

    read_roles = REVIEWERS
    write_roles = REVIEWERS

    @extend_schema(responses=VerifyResultSerializer)
    def get(self, request, tenant_slug=None):
        result = verify(self.tenant)
        remember_verification(self.tenant, result)
        with transaction.atomic():
            audit.record(actor=request.user, tenant=self.tenant, action="audit.verified",
                         data={"ok": result.ok, "count": result.count})
        return Response({
            "ok": result.ok, "count": result.count, "bad_event_id": result.bad_event_id,
            "bad_seq": result.bad_seq, "reason": result.reason, "message": result.message(),
            "last_seq": result.last_seq, "last_time": result.last_time,
            "checkpoint_seq": result.checkpoint_seq, "public_key": public_key_b64(),
        })
