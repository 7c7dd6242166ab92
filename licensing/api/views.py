"""Customer API (``/api/v1/tenants/<slug>/``) and PBX API (``/api/pbx/v1/``) of licensing."""

from django.utils import translation
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.response import Response

from hostedpbx.api.base import PbxNodeScopedAPIView, TenantAPIView, TenantScopedViewSet
from hostedpbx.api.errors import ApiError
from licensing import selectors, services
from licensing.exceptions import LicensingError, UnknownExtension
from licensing.models import LicenseAssignment, LicensePool
from licensing.policy import assignment_warnings
from tenancy.models import PbxUser

from .filters import LicenseAssignmentFilter
from .serializers import (
    LicenseAssignmentCreatedSerializer,
    LicenseAssignmentCreateSerializer,
    LicenseAssignmentSerializer,
    LicensePoolSerializer,
    LicenseRevokeSerializer,
    PolicySerializer,
)


def as_api_error(exc: LicensingError) -> ApiError:
    if isinstance(exc, UnknownExtension):
        # A field error like any other 400, with the stable code at the top level.
        return ApiError(exc.code, f"extension: {exc.detail}", status=exc.status,
                        errors={"extension": [{"code": exc.code, "detail": exc.detail}]})
    return ApiError(exc.code, exc.detail, status=exc.status)


class LicensePoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """The tenant's licence pools (read-only; provider staff set them). Everyone in the tenant
    may read them."""

    scoped_model = LicensePool
    serializer_class = LicensePoolSerializer
    lookup_field = "license"
    lookup_url_kwarg = "license"
    lookup_value_regex = "[a-z]+"

    def optimize_queryset(self, qs):
        return selectors.pools_with_usage(qs)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        tenant = getattr(self, "tenant", None)
        context["today"] = selectors.tenant_today(tenant) if tenant else None
        return context


class LicenseAssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                               TenantScopedViewSet):
    """Licence assignments with history. The list shows open assignments unless
    ``?active=false`` (revoked) or ``?active=all``. Admins assign (POST) and revoke (DELETE);
    members see only their own extension's licences."""

    scoped_model = LicenseAssignment
    serializer_class = LicenseAssignmentSerializer
    filterset_class = LicenseAssignmentFilter
    lookup_url_kwarg = "assignment_id"
    lookup_value_regex = "[0-9]+"

    def optimize_queryset(self, qs):
        return qs.select_related("pbx_user").order_by("-assigned_at", "-id")

    def filter_queryset(self, queryset):
        # The ``active`` default applies to the list only: a revoked assignment stays
        # retrievable (and answers 409 ``already_revoked`` to a second DELETE).
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(
        request=LicenseAssignmentCreateSerializer,
        responses={
            201: LicenseAssignmentCreatedSerializer,
            400: OpenApiResponse(description="`unknown_extension`, `invalid_choice`, ..."),
            409: OpenApiResponse(description="`pool_exhausted`, `already_assigned`, "
                                             "`pbx_user_inactive`"),
        },
    )
    def create(self, request, *args, **kwargs):
        data = LicenseAssignmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            assignment = services.assign_license(actor=self.actor, tenant=self.tenant,
                                                 **data.validated_data)
        except LicensingError as exc:
            raise as_api_error(exc)
        user = assignment.pbx_user
        assignment.warnings = assignment_warnings(
            license=assignment.license, client_type=user.client_type,
            record_all_calls=user.record_all_calls, active=user.is_active)
        return Response(LicenseAssignmentCreatedSerializer(assignment).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        request=LicenseRevokeSerializer,
        parameters=[OpenApiParameter("reason", str, description="why (also accepted in the "
                                                                "body)")],
        responses={204: None, 409: OpenApiResponse(description="`already_revoked`")},
    )
    def destroy(self, request, *args, **kwargs):
        assignment = self.get_object()
        body = request.data if hasattr(request.data, "get") else {}
        reason = LicenseRevokeSerializer(
            data={"reason": body.get("reason") or request.query_params.get("reason", "")})
        reason.is_valid(raise_exception=True)
        try:
            services.revoke_license(actor=self.actor, assignment=assignment,
                                    reason=reason.validated_data["reason"])
        except LicensingError as exc:
            raise as_api_error(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


def policy_response(request, pbx_user, language: str):
    """The policy body with an ETag; ``If-None-Match`` with the current tag answers 304."""
    body = selectors.policy_body(pbx_user=pbx_user)
    etag = f'"{body["version"]}-{language}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Content-Language": language,
               "Vary": "Cookie, Authorization"}
    # Weak comparison (RFC 9110 13.1.2), as for any GET.
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if any(tag == "*" or tag.removeprefix("W/") == etag for tag in wanted):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, headers=headers)


POLICY_SCHEMA = extend_schema(
    parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER,
                                 description="the ETag of a policy you have")],
    responses={200: PolicySerializer, 304: OpenApiResponse(description="unchanged"),
               404: OpenApiResponse(OpenApiTypes.OBJECT, description="`not_found`")},
)


class PbxUserPolicyView(TenantAPIView):
    """The effective policy of one PBX user: the same body the PBX gets, in the portal's
    language. Members may read their own extension's policy only."""

    @POLICY_SCHEMA
    def get(self, request, tenant_slug, extension):
        user = selectors.access_pbx_user_for_policy(actor=self.actor, tenant=self.tenant,
                                                    extension=extension)
        return policy_response(request, user, translation.get_language() or "de")


class PbxNodeUserPolicyView(PbxNodeScopedAPIView):
    """For the PBX: the effective policy of one of its tenant's users, in the tenant's
    language. Poll with ``If-None-Match``: unchanged answers 304 without a body."""

    scoped_model = PbxUser

    @POLICY_SCHEMA
    def get(self, request, extension):
        user = self.get_queryset().filter(extension=str(extension)).first()
        if user is None:
            raise exceptions.NotFound()
        language = self.tenant.locale or "de"
        with translation.override(language):
            return policy_response(request, user, language)
