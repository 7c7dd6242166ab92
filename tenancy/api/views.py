import datetime

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from hostedpbx.api.base import TenantScopedViewSet
from hostedpbx.api.errors import ApiError
from tenancy import auth, services
from tenancy.models import PbxUser

from .filters import PbxUserFilter
from .serializers import (
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
