import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from hostedpbx.api.base import TenantScopedViewSet
from hostedpbx.api.errors import ApiError, conflict
from tenancy import auth, services
from tenancy import permissions as capabilities
from tenancy.models import Invitation, Membership, PbxUser
from tenancy.selectors import access_own_invitation, pending_invitations_for_account
from twofactor import services as twofactor_services

from .filters import InvitationFilter, PbxUserFilter
from .serializers import (
    InvitationAcceptedSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    MembershipCreatedSerializer,
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    OwnInvitationSerializer,
    PbxUserSerializer,
    PbxUserUpdateSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    TwoFactorResetSerializer,
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


class AccountsAdminViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           TenantScopedViewSet):
    """The tenant's accounts and invitations: the admins' (``MANAGE_ACCOUNTS``) alone, to read
    as to change; objects by their numeric id."""

    read_roles = capabilities.MANAGE_ACCOUNTS
    write_roles = capabilities.MANAGE_ACCOUNTS
    lookup_value_regex = "[0-9]+"


class InvitationViewSet(AccountsAdminViewSet):
    """Invitations of existing accounts into the tenant (admins only), as the web page
    ``/t/<slug>/accounts/invitations/`` makes them: by the full username, with a role and for
    agents an extension. The answer is the same whether or not such an account exists; the
    person accepts or declines in the menu. DELETE withdraws a pending invitation."""

    scoped_model = Invitation
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    lookup_url_kwarg = "invitation_id"

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
        pbx_user = _pbx_user(self, fields.get("extension"))
        try:
            invitation = services.invite_account(actor=self.actor, tenant=self.tenant,
                                                 username=fields["username"],
                                                 role=fields["role"], pbx_user=pbx_user)
        except ValidationError as exc:
            raise _as_api_fields(exc) from None
        invitation = self.get_queryset().get(pk=invitation.pk)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 409: OpenApiResponse(description="`not_pending`")})
    def destroy(self, request, *args, **kwargs):
        invitation = self.get_object()
        try:
            services.revoke_invitation(actor=self.actor, invitation=invitation)
        except ValidationError as exc:
            raise _refused(exc) from None  # not_pending, the service's code and message
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembershipViewSet(AccountsAdminViewSet):
    """The tenant's portal accounts (admins only), as the web pages ``/t/<slug>/accounts/``
    manage them. POST adds a new account named ``<tenant slug>.<name>`` with a one-time
    password (201, shown once); a name taken by an account this tenant never had is not
    attached but invited (202 with the invitation). PATCH changes role and extension; DELETE
    removes the account from the tenant (the account stays, it may be in others). A tenant
    keeps at least one administrator (409 ``last_admin``)."""

    scoped_model = Membership
    serializer_class = MembershipSerializer
    lookup_url_kwarg = "membership_id"

    def optimize_queryset(self, qs):
        return qs.select_related("user", "pbx_user").order_by("user__username", "id")

    @extend_schema(
        request=MembershipCreateSerializer,
        responses={201: MembershipCreatedSerializer,
                   202: OpenApiResponse(InvitationSerializer,
                                        description="the name belongs to an account this "
                                                    "tenant never had: it was invited"),
                   400: OpenApiResponse(description="`username_taken`, `unknown_extension`, "
                                                    "`extension_required`, ...")},
    )
    def create(self, request, *args, **kwargs):
        data = MembershipCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        pbx_user = _pbx_user(self, fields.pop("extension", None))
        try:
            added = services.add_account(actor=self.actor, tenant=self.tenant,
                                         pbx_user=pbx_user, **fields)
        except ValidationError as exc:
            raise _as_api_fields(exc, username="name") from None
        if added.invitation is not None:
            invitation = Invitation.objects.for_actor(self.actor, self.tenant).select_related(
                "pbx_user", "invited_by").get(pk=added.invitation.pk)
            return Response(InvitationSerializer(invitation).data,
                            status=status.HTTP_202_ACCEPTED)
        membership = self.get_queryset().get(pk=added.membership.pk)
        membership.password = added.password
        return Response(MembershipCreatedSerializer(membership).data,
                        status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @extend_schema(request=MembershipUpdateSerializer,
                   responses={200: MembershipSerializer,
                              409: OpenApiResponse(description="`last_admin`")})
    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        data = MembershipUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        pbx_user = (_pbx_user(self, fields["extension"]) if "extension" in fields
                    else membership.pbx_user)
        try:
            services.update_membership(actor=self.actor, membership=membership,
                                       role=fields.get("role", membership.role),
                                       pbx_user=pbx_user)
        except services.LastAdminError as exc:
            raise conflict("last_admin", _("A tenant needs at least one administrator.")) from exc
        except ValidationError as exc:
            raise _as_api_fields(exc) from None
        return Response(MembershipSerializer(self.get_queryset().get(pk=membership.pk)).data)

    @extend_schema(responses={204: None, 409: OpenApiResponse(description="`last_admin`")})
    def destroy(self, request, *args, **kwargs):
        membership = self.get_object()
        try:
            services.remove_membership(actor=self.actor, membership=membership)
        except services.LastAdminError as exc:
            raise conflict("last_admin", _("A tenant needs at least one administrator.")) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None,
                   responses={200: MembershipCreatedSerializer,
                              409: OpenApiResponse(description="`account_in_other_tenants`")})
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request, *args, **kwargs):
        """A new one-time password for the account (shown once; the person chooses their own
        at the next login), as the account page's reset. Refused (409) for an account that
        belongs to other tenants too."""
        membership = self.get_object()
        try:
            password = services.reset_password(actor=self.actor, membership=membership)
        except ValidationError as exc:
            raise _refused(exc) from None
        membership.password = password
        return Response(MembershipCreatedSerializer(membership).data,
                        headers={"Cache-Control": "no-store"})

    @extend_schema(request=None,
                   responses={200: TwoFactorResetSerializer,
                              409: OpenApiResponse(description="`reset_own_two_factor`, "
                                                               "`account_in_other_tenants`")})
    @action(detail=True, methods=["post"], url_path="reset-two-factor")
    def reset_two_factor(self, request, *args, **kwargs):
        """Remove the account's second factors (a lost phone): it sets one up again at its
        next sign-in. Another admin's own account only; refused (409) for your own and for an
        account that belongs to other tenants too."""
        membership = self.get_object()
        if not capabilities.may_reset_two_factor(self.membership):
            raise exceptions.PermissionDenied(
                detail="Your role in this tenant does not allow this.", code="role_not_permitted")
        try:
            removed = twofactor_services.reset_two_factor(actor=self.actor, tenant=self.tenant,
                                                          membership=membership)
        except ValidationError as exc:
            raise _refused(exc) from None
        return Response(TwoFactorResetSerializer({"id": membership.pk,
                                                  "devices_removed": removed}).data)


def _pbx_user(view, extension) -> PbxUser | None:
    """The tenant's PBX user of ``extension`` (none for an empty one); 400
    ``unknown_extension`` for a number the tenant does not have."""
    extension = (extension or "").strip()
    if not extension:
        return None
    pbx_user = PbxUser.objects.for_actor(view.actor, view.tenant).filter(
        extension=extension).first()
    if pbx_user is None:
        raise ValidationError({"extension": ValidationError(
            _("There is no PBX user with this extension."), code="unknown_extension")})
    return pbx_user


def _refused(exc: ValidationError) -> ApiError:
    """A service's refusal that depends on the state of things, as 409 with its code."""
    errors = ([e for errors in exc.error_dict.values() for e in errors]
              if hasattr(exc, "error_dict") else exc.error_list)
    code = next((error.code for error in errors if error.code), "refused")
    return conflict(code, " ".join(exc.messages))


def _as_api_fields(exc: ValidationError, **names) -> ValidationError:
    """A service's field errors under the API's field names: the services call the extension
    ``pbx_user`` (the API ``extension``), the accounts API calls the new name ``name``."""
    if not hasattr(exc, "error_dict"):
        return exc
    names = {"pbx_user": "extension", **names}
    return ValidationError({names.get(field, field): errors
                            for field, errors in exc.error_dict.items()})


def _second_factor(account, code: str, *, ip: str) -> None:
    """An account that has set up two-factor login gets a token only with its code, as it
    gets into the menu only with it: a stolen password alone opens neither. Wrong codes are
    audited and throttled like the verify page's."""
    if not twofactor_services.has_confirmed_device(account):
        return
    if not (code or "").strip():
        raise ApiError("two_factor_code_required",
                       _("This account signs in with a second factor: send its "
                         "authenticator's code (or a recovery code) as otp."))
    if twofactor_services.verify_code(actor=account, token=code, ip=ip) is None:
        raise ApiError("invalid_two_factor_code",
                       _("The code was not accepted (wrong, already used or too many tries; "
                         "wait a little)."))


class OwnInvitationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in person's open invitations into tenants (``/api/v1/me/invitations/``), as
    the menu's "Invitations" page shows them: accept (the membership is made with the same
    checks as any other) or decline. Someone else's invitation answers 404; one that is no
    longer open 409 ``not_pending``. Both answers are audited in the inviting tenant's trail."""

    serializer_class = OwnInvitationSerializer
    lookup_url_kwarg = "invitation_id"
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []

    def get_queryset(self):
        return pending_invitations_for_account(self.request.user)

    def invitation(self):
        try:
            return access_own_invitation(account=self.request.user,
                                         invitation_id=self.kwargs["invitation_id"])
        except Http404 as exc:
            raise exceptions.NotFound(_("No such invitation.")) from exc

    @extend_schema(request=None,
                   responses={200: InvitationAcceptedSerializer,
                              409: OpenApiResponse(description="`not_pending`, "
                                                               "`already_member`, "
                                                               "`extension_linked`")})
    @action(detail=True, methods=["post"])
    def accept(self, request, *args, **kwargs):
        invitation = self.invitation()
        try:
            membership = services.accept_invitation(actor=request.user, invitation=invitation)
        except ValidationError as exc:
            raise _refused(exc) from None
        return Response(InvitationAcceptedSerializer({
            "tenant": invitation.tenant.slug, "membership_id": membership.pk,
            "role": membership.role}).data)

    @extend_schema(request=None,
                   responses={204: None, 409: OpenApiResponse(description="`not_pending`")})
    @action(detail=True, methods=["post"])
    def decline(self, request, *args, **kwargs):
        invitation = self.invitation()
        try:
            services.decline_invitation(actor=request.user, invitation=invitation)
        except ValidationError as exc:
            raise _refused(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class ObtainTokenView(APIView):
    """Exchange a portal username and password for an API token (throttled and audited)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenRequestSerializer,
                   responses={200: TokenResponseSerializer,
                              400: OpenApiResponse(description="`invalid_credentials`, "
                                                               "`two_factor_code_required`, "
                                                               "`invalid_two_factor_code`, ..."),
                              403: OpenApiResponse(description="`password_change_required`"),
                              429: OpenApiResponse(description="`login_throttled` "
                                                               "(`Retry-After`)")})
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
            raise ApiError("login_throttled", _("Too many failed logins; try again later."),
                           status=status.HTTP_429_TOO_MANY_REQUESTS,
                           retry_after=exc.retry_after)
        if account is None:
            raise ApiError("invalid_credentials", _("Unable to log in with these credentials."),
                           status=status.HTTP_400_BAD_REQUEST)
        if auth.must_change_password(account):
            raise ApiError("password_change_required",
                           _("Choose your own password in the menu first."),
                           status=status.HTTP_403_FORBIDDEN)
        _second_factor(account, data.validated_data.get("otp", ""), ip=auth.client_ip(request))
        _token, key = services.create_api_token(
            actor=account, name=f"API login {timezone.localtime():%Y-%m-%d %H:%M}",
            expires_at=timezone.now() + datetime.timedelta(days=settings.API_TOKEN_LOGIN_DAYS))
        return Response({"token": key})
