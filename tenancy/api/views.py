import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from hostedpbx.api.base import TenantScopedViewSet
from hostedpbx.api.errors import ApiError, conflict
from tenancy import auth, services
from tenancy import permissions as capabilities
from tenancy.models import Invitation, PbxUser

from .filters import InvitationFilter, PbxUserFilter
from .serializers import (
    InvitationCreateSerializer,
    InvitationSerializer,
    PbxUserSerializer,
    PbxUserUpdateSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)


class PbxUserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, TenantScopedViewSet):
    """The tenant's PBX users (extensions). Admins create and change them."""

    scoped_model = PbxUser
    serializer_class = PbxUserSerializer
    filterset_class = PbxUserFilter
    lookup_field = "extension"
    lookup_value_regex = "[0-9]+"

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return PbxUserUpdateSerializer
        return PbxUserSerializer

    def optimize_queryset(self, qs):
        return qs.order_by("extension")

    def perform_create(self, serializer):
        serializer.instance = services.create_pbx_user(
            actor=self.actor, tenant=self.tenant, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_pbx_user(
            actor=self.actor, pbx_user=serializer.instance, **serializer.validated_data
        )


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Invitations of existing accounts into the tenant (admins only), as the web page
    ``/t/<slug>/accounts/invitations/`` makes them: by the full username, with a role and for
    agents an extension. The answer is the same whether or not such an account exists; the
    person accepts or declines in the menu. DELETE withdraws a pending invitation."""

    scoped_model = Invitation
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    read_roles = capabilities.MANAGE_ACCOUNTS
    write_roles = capabilities.MANAGE_ACCOUNTS
    lookup_url_kwarg = "invitation_id"
    lookup_value_regex = "[0-9]+"

    def optimize_queryset(self, qs):
        return qs.select_related("pbx_user", "invited_by").order_by("-created_at", "-id")

    @extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer,
                   400: OpenApiResponse(description="`unknown_extension`, `extension_required`, "
                                                    "`extension_linked`, `invalid_choice`, ...")},
    )
    def create(self, request, *args, **kwargs):
        data = InvitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        extension = (fields.get("extension") or "").strip()
        pbx_user = None
        if extension:
            pbx_user = PbxUser.objects.for_actor(self.actor, self.tenant).filter(
                extension=extension).first()
            if pbx_user is None:
                raise ValidationError({"extension": ValidationError(
                    _("There is no PBX user with this extension."), code="unknown_extension")})
        try:
            invitation = services.invite_account(actor=self.actor, tenant=self.tenant,
                                                 username=fields["username"],
                                                 role=fields["role"], pbx_user=pbx_user)
        except ValidationError as exc:
            raise _as_extension_error(exc) from None
        invitation = self.get_queryset().get(pk=invitation.pk)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 409: OpenApiResponse(description="`not_pending`")})
    def destroy(self, request, *args, **kwargs):
        invitation = self.get_object()
        try:
            services.revoke_invitation(actor=self.actor, invitation=invitation)
        except ValidationError as exc:
            raise conflict("not_pending", "This invitation is no longer open.") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


def _as_extension_error(exc: ValidationError) -> ValidationError:
    """The services name the extension ``pbx_user``; the API calls it ``extension``."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({("extension" if field == "pbx_user" else field): errors
                            for field, errors in exc.error_dict.items()})


class ObtainTokenView(APIView):
    """Exchange a portal username and password for an API token (throttled and audited)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenRequestSerializer, responses=TokenResponseSerializer)
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            account = auth.sign_in(
                request=request._request,
                username=data.validated_data["username"],
                password=data.validated_data["password"],
                ip=auth.client_ip(request),
                channel="api",
            )
        except auth.LoginThrottled as exc:
            raise ApiError("login_throttled", "Too many failed logins; try again later.",
                           status=status.HTTP_429_TOO_MANY_REQUESTS,
                           retry_after=exc.retry_after)
        if account is None:
            raise ApiError("invalid_credentials", "Unable to log in with these credentials.",
                           status=status.HTTP_400_BAD_REQUEST)
        if auth.must_change_password(account):
            raise ApiError("password_change_required",
                           "Choose your own password in the menu first.",
                           status=status.HTTP_403_FORBIDDEN)
        _token, key = services.create_api_token(
            actor=account, name=f"API login {timezone.localtime():%Y-%m-%d %H:%M}",
            expires_at=timezone.now() + datetime.timedelta(days=settings.API_TOKEN_LOGIN_DAYS))
        return Response({"token": key})
