"""Customer API (``supervision-grants/``, ``monitoring-sessions/``) and PBX API
(``supervision/authorize/``, ``supervision/sessions/<id>/events/``) of supervision."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from hostedpbx.api.base import PbxNodeAPIView, TenantScopedViewSet
from hostedpbx.api.errors import ApiError
from supervision import selectors, services
from supervision.exceptions import SupervisionError, UnknownExtension
from supervision.models import MonitoringSession, SupervisionGrant
from tenancy import permissions

from .filters import GrantFilter, SessionFilter
from .serializers import (
    AuthorizeResponseSerializer,
    AuthorizeSerializer,
    GrantCreateSerializer,
    GrantRevokeSerializer,
    GrantSerializer,
    GrantUpdateSerializer,
    MonitoringSessionDetailSerializer,
    MonitoringSessionSerializer,
    SessionEventInSerializer,
    SessionStateSerializer,
)


def as_api_error(exc: SupervisionError) -> ApiError:
    if isinstance(exc, UnknownExtension):
        return ApiError(
            exc.code,
            f"{exc.field}: {exc.detail}",
            status=exc.status,
            errors={exc.field: [{"code": exc.code, "detail": exc.detail}]},
        )
    return ApiError(exc.code, exc.detail, status=exc.status, **exc.extra)


class SupervisionGrantViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet
):
    """Who may monitor whom. Lists open grants unless ``?active=false`` or ``?active=all``.
    Admins create (POST ``{"agent", "supervisor", "valid_from"?, "valid_until"?,
    "purpose"?}``), change the window and purpose (PATCH) and revoke (DELETE; the grant stays
    as history and the supervisor's live participation ends). Supervisors see the grants
    naming them, agents who may monitor them."""

    scoped_model = SupervisionGrant
    serializer_class = GrantSerializer
    filterset_class = GrantFilter
    lookup_url_kwarg = "grant_id"
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def optimize_queryset(self, qs):
        return qs.select_related("agent", "supervisor").order_by(
            "agent__extension", "supervisor__extension", "-id"
        )

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["now"] = timezone.now()
        return context

    def _respond(self, grant, code=status.HTTP_200_OK):
        return Response(
            GrantSerializer(grant, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(
        request=GrantCreateSerializer,
        responses={
            201: GrantSerializer,
            400: OpenApiResponse(
                description="`unknown_extension`, `self_monitoring`, `invalid_window`"
            ),
            409: OpenApiResponse(description="`already_granted`"),
        },
    )
    def create(self, request, *args, **kwargs):
        data = GrantCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            grant = services.create_grant(
                actor=self.actor, tenant=self.tenant, **data.validated_data
            )
        except SupervisionError as exc:
            raise as_api_error(exc)
        return self._respond(grant, status.HTTP_201_CREATED)

    @extend_schema(
        request=GrantUpdateSerializer,
        responses={200: GrantSerializer, 409: OpenApiResponse(description="`already_revoked`")},
    )
    def partial_update(self, request, *args, **kwargs):
        grant = self.get_object()
        data = GrantUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {
            "valid_from": grant.valid_from,
            "valid_until": grant.valid_until,
            "purpose": grant.purpose,
            **data.validated_data,
        }
        try:
            grant = services.update_grant(actor=self.actor, grant=grant, **values)
        except SupervisionError as exc:
            raise as_api_error(exc)
        return self._respond(grant)

    @extend_schema(
        request=GrantRevokeSerializer,
        responses={204: None, 409: OpenApiResponse(description="`already_revoked`")},
    )
    def destroy(self, request, *args, **kwargs):
        grant = self.get_object()
        body = request.data if hasattr(request.data, "get") else {}
        reason = GrantRevokeSerializer(
            data={"reason": body.get("reason") or request.query_params.get("reason", "")}
        )
        reason.is_valid(raise_exception=True)
        try:
            services.revoke_grant(
                actor=self.actor, grant=grant, reason=reason.validated_data["reason"]
            )
        except SupervisionError as exc:
            raise as_api_error(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MonitoringSessionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet
):
    """Monitoring sessions (read-only), newest first; the detail includes the history.
    Admins and compliance officers see all, supervisors those they took part in, agents
    those on their own calls when the tenant allows it."""

    scoped_model = MonitoringSession
    filterset_class = SessionFilter
    lookup_url_kwarg = "session_id"
    lookup_value_regex = "[0-9]+"

    def get_serializer_class(self):
        if self.action == "retrieve":
            return MonitoringSessionDetailSerializer
        return MonitoringSessionSerializer

    def optimize_queryset(self, qs):
        agent = permissions.may_see_own_monitoring(self.membership)
        if agent and not selectors.may_see_own_summary(
            self.membership, services.settings_for(self.tenant)
        ):
            return qs.none()
        return qs.prefetch_related("participants").order_by("-started_at", "-id")


# --- PBX ------------------------------------------------------------------------------------
class AuthorizeView(PbxNodeAPIView):
    """May this supervisor join the call behind the dialled code (``TLN*24*1#``)? Always 200:
    ``{"allowed": true, "session_id", "mode", ...state}`` (the supervisor has joined the
    call's session) or ``{"allowed": false, "reason"}``. Every decision is audited."""

    parser_classes = [JSONParser]

    @extend_schema(request=AuthorizeSerializer, responses=AuthorizeResponseSerializer)
    def post(self, request):
        data = AuthorizeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.authorize(actor=self.node, tenant=self.tenant, **data.validated_data)
        if not outcome.decision.allowed:
            return Response(outcome.decision.as_dict())
        return Response({"allowed": True, **outcome.state})


class SessionEventView(PbxNodeAPIView):
    """A supervisor's event in a session: ``key`` (with ``key``), ``join`` or ``leave``.
    Answers the session's ``mode``, ``supervisors``, who ``hears`` whom and ``agent_tone``.
    409 ``session_ended``, ``not_in_session``, ``join_refused`` (with ``reason``);
    400 ``invalid_key``; 404 for another tenant's session."""

    parser_classes = [JSONParser]

    @extend_schema(request=SessionEventInSerializer, responses=SessionStateSerializer)
    def post(self, request, session_id):
        if not MonitoringSession.unscoped.filter(tenant=self.tenant, pk=session_id).exists():
            raise exceptions.NotFound()
        data = SessionEventInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            state = services.session_event(
                actor=self.node, tenant=self.tenant, session_id=session_id, **data.validated_data
            )
        except SupervisionError as exc:
            raise as_api_error(exc)
        return Response(state)
