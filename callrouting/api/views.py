"""Customer API of the legal-notice routing (``/api/v1/tenants/<slug>/routings/...``)."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from hostedpbx.api.base import TenantAPIView, TenantScopedViewSet
from hostedpbx.api.errors import ApiError
from tenancy import permissions

from .. import selectors, services
from ..models import Routing
from ..schema import EXPORT_SCHEMA
from ..simulator import simulate
from .serializers import (
    AudioInputSerializer,
    AudioSerializer,
    RollbackInputSerializer,
    RoutingChangeSerializer,
    RoutingInputSerializer,
    RoutingSerializer,
    SimulateInputSerializer,
    SimulationSerializer,
    VersionReportSerializer,
    VersionSerializer,
)

READ_ROLES = permissions.VIEW_ROUTINGS
WRITE_ROLES = permissions.MANAGE_ROUTINGS


class RoutingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Legal-notice routings: drafts (create, change), publish, simulate, versions, diff,
    rollback, announcement audio and the proof report per version."""

    scoped_model = Routing
    serializer_class = RoutingSerializer
    lookup_url_kwarg = "routing_id"
    read_roles = READ_ROLES
    write_roles = WRITE_ROLES
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def optimize_queryset(self, qs):
        return qs.select_related("published_version", "audio_de", "audio_en").order_by("name")

    @extend_schema(request=RoutingInputSerializer, responses={201: RoutingSerializer})
    def create(self, request, tenant_slug):
        data = self._input(request, partial=False)
        routing = services.create_routing(actor=self.actor, tenant=self.tenant, values=data)
        return Response(RoutingSerializer(routing).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoutingInputSerializer, responses=RoutingSerializer)
    def update(self, request, tenant_slug, routing_id):
        routing = self.get_object()
        data = self._input(request, partial=True)
        routing = services.update_routing(actor=self.actor, routing=routing, values=data)
        return Response(RoutingSerializer(routing).data)

    partial_update = update

    def _input(self, request, partial):
        serializer = RoutingInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(request=None, responses={201: VersionSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, tenant_slug, routing_id):
        version = services.publish_routing(actor=self.actor, routing=self.get_object())
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SimulateInputSerializer,
        responses={200: SimulationSerializer, 409: OpenApiResponse(description="`not_published`")},
    )
    @action(detail=True, methods=["post"])
    def simulate(self, request, tenant_slug, routing_id):
        routing = self.get_object()
        params = SimulateInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if data["source"] == "published":
            if routing.published_version is None:
                raise ApiError(
                    "not_published", _("This routing has no published version yet."), status=409
                )
            definition = routing.published_version.definition
        else:
            definition = selectors.draft_definition(routing)
        codes = [entry["code"] for entry in definition["languages"]]
        language = data.get("language") or codes[0]
        if language not in codes:
            raise ApiError("invalid_language", _("This routing does not speak that language."))
        result = simulate(
            definition,
            behaviour=data["behaviour"],
            language=language,
            after_seconds=data.get("after_seconds"),
        )
        return Response(result.as_dict())

    # No pagination_class: the answer is the whole list, and the schema said it was paged.
    @extend_schema(responses=VersionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def versions(self, request, tenant_slug, routing_id):
        routing = self.get_object()
        return Response(VersionSerializer(selectors.versions_of(routing), many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="a version number; default: the published"),
            OpenApiParameter("to", str, description="a version number or `draft` (default)"),
        ],
        responses=inline_serializer(
            "RoutingDiff",
            {
                "from": serializers.CharField(),
                "to": serializers.CharField(),
                "changes": RoutingChangeSerializer(many=True),
            },
        ),
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, tenant_slug, routing_id):
        routing = self.get_object()
        old = request.query_params.get("from") or ""
        new = request.query_params.get("to") or "draft"
        if not old:
            current = routing.published_version
            if current is None:
                raise ApiError("not_published", _("Name a version in ?from=."))
            old = current.number
        return Response(
            {"from": str(old), "to": str(new), "changes": selectors.diff(routing, old, new)}
        )

    @extend_schema(request=RollbackInputSerializer, responses={201: VersionSerializer})
    @action(detail=True, methods=["post"])
    def rollback(self, request, tenant_slug, routing_id):
        routing = self.get_object()  # first: another tenant's routing answers 404, not 400
        params = RollbackInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        version = services.rollback_routing(
            actor=self.actor, routing=routing, number=params.validated_data["version"]
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "multipart/form-data": AudioInputSerializer,
            "application/json": AudioInputSerializer,
        },
        responses={201: AudioSerializer},
    )
    @action(detail=True, methods=["post"])
    def audio(self, request, tenant_slug, routing_id):
        routing = self.get_object()
        params = AudioInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        upload = params.validated_data.get("audio")
        language = params.validated_data["language"]
        if upload is None:
            item = services.generate_audio(actor=self.actor, routing=routing, language=language)
        else:
            item = services.upload_audio(
                actor=self.actor,
                routing=routing,
                language=language,
                fileobj=upload,
                name=upload.name,
                size=upload.size,
            )
        return Response(services.audio_summary(item), status=status.HTTP_201_CREATED)

    @extend_schema(responses=VersionReportSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def report(self, request, tenant_slug, routing_id):
        rows = selectors.version_report(self.get_object())
        for row in rows:
            row["published_at"] = row["published_at"].isoformat()
        return Response(rows)


class RoutingSchemaView(TenantAPIView):
    """The JSON Schema of the PBX export, for integrators."""

    read_roles = READ_ROLES

    @extend_schema(responses={200: dict})
    def get(self, request, tenant_slug):
        return Response(EXPORT_SCHEMA)


def wav_response(request, data: bytes, *, filename: str) -> HttpResponse:
    """The WAV bytes, honouring one ``Range: bytes=a-b`` (206) so players can seek."""
    total = len(data)
    header = request.META.get("HTTP_RANGE", "")
    if header.startswith("bytes=") and "," not in header:
        start_text, _sep, end_text = header[6:].partition("-")
        try:
            if start_text:
                start = int(start_text)
                end = min(int(end_text), total - 1) if end_text else total - 1
            else:
                start, end = max(0, total - int(end_text)), total - 1
        except ValueError:
            start, end = 0, -1
        if 0 <= start <= end < total:
            response = HttpResponse(data[start : end + 1], status=206, content_type="audio/wav")
            response["Content-Range"] = f"bytes {start}-{end}/{total}"
        else:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{total}"
            return response
    else:
        response = HttpResponse(data, content_type="audio/wav")
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
