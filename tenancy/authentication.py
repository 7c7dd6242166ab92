"""Bearer authentication of PBX nodes (``Authorization: Bearer <node token>``)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiToken, PbxNode, hash_token


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``: a personal token, usable until expired or revoked.

    As the first authentication class it makes a request without credentials a 401 with
    ``WWW-Authenticate: Token``."""

    def authenticate_credentials(self, key):
        now = timezone.now()
        token = (ApiToken.objects.select_related("user")
                 .filter(key_hash=hash_token(key)).first())
        if token is None or not token.is_usable(now):
            raise exceptions.AuthenticationFailed(_("Unknown, expired or revoked token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The account is disabled."))
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Token-based authentication with required prefix \"Token\"."}


class PbxNodeAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            raise exceptions.AuthenticationFailed(
                _("Expected 'Authorization: Bearer <node token>'."))
        # token_hash is unique: no ordering (``first()`` and the model's default ordering cost
        # a third of this lookup's CPU, on every PBX request).
        node = next(iter(PbxNode.unscoped.select_related("tenant").filter(
            token_hash=hash_token(parts[1]), is_active=True).order_by()[:1]), None)
        if node is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked node token."))
        now = timezone.now()
        if node.last_seen_at is None or (now - node.last_seen_at).total_seconds() > 60:
            PbxNode.unscoped.filter(pk=node.pk).update(last_seen_at=now)
        return node, node

    def authenticate_header(self, request):
        return self.keyword


class PbxNodeAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents the node token in the OpenAPI schema (and keeps ``check --deploy`` quiet)."""

    target_class = PbxNodeAuthentication
    name = "pbxNodeToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A PBX node's API token (create_pbx_node prints it)."}
