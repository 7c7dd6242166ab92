"""Base classes every API view inherits, so that scoping happens by inheritance, not memory.

Customer API (``/api/v1/tenants/<tenant_slug>/...``): :class:`TenantAPIMixin` resolves the
tenant from the URL after authentication and answers 404 unless the account is a member; the
queryset of :class:`TenantScopedViewSet` is ``model.objects.for_actor(user, tenant)``, so
another tenant's object cannot be found by id. Role checks (403) come after membership.

PBX API (``/api/pbx/v1/...``): :class:`PbxNodeAPIMixin` authenticates the node by its bearer
token; ``self.tenant`` is the node's tenant and nothing else.
"""

from rest_framework import exceptions, mixins, permissions, viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.views import APIView

from hostedpbx.scoping import resolve_tenant
from tenancy import permissions as capabilities

SAFE_ACTIONS = {"list", "retrieve", "metadata"}


class TenantAPIMixin:
    """Resolves ``self.tenant`` and ``self.membership`` from the URL; 404 for non-members.

    ``read_roles`` may use safe methods, ``write_roles`` everything else.
    """

    read_roles = capabilities.USE_MENU
    write_roles = capabilities.TENANT_API_WRITE

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        resolved = resolve_tenant(request.user, kwargs.get("tenant_slug"))
        if resolved is None:
            raise exceptions.NotFound()
        tenant, membership = resolved
        self.tenant = tenant
        self.membership = membership
        request.tenant = tenant
        request.membership = membership
        roles = self.read_roles if request.method in permissions.SAFE_METHODS else self.write_roles
        if membership.role not in roles:
            raise exceptions.PermissionDenied(
                detail="Your role in this tenant does not allow this.", code="role_not_permitted"
            )

    @property
    def actor(self):
        return self.request.user


class TenantAPIView(TenantAPIMixin, APIView):
    pass


class TenantGenericAPIView(TenantAPIMixin, GenericAPIView):
    scoped_model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.scoped_model.unscoped.none()
        return self.scoped_model.objects.for_actor(self.request.user, self.tenant)


class TenantScopedViewSet(TenantAPIMixin, viewsets.GenericViewSet):
    """Set ``scoped_model``; the queryset is that model's rows the actor may see in the tenant."""

    scoped_model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no tenant
            return self.scoped_model.unscoped.none()
        qs = self.scoped_model.objects.for_actor(self.request.user, self.tenant)
        return self.optimize_queryset(qs)

    def optimize_queryset(self, qs):
        return qs

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["tenant"] = getattr(self, "tenant", None)
        context["membership"] = getattr(self, "membership", None)
        return context


class TenantReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            TenantScopedViewSet):
    pass


class IsPbxNode(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(getattr(request.user, "is_pbx_node", False))


class PbxNodeAPIMixin:
    """For ``/api/pbx/v1/``: authenticated by a node token; ``self.tenant`` is the node's."""

    permission_classes = [IsPbxNode]

    def get_authenticators(self):
        from tenancy.authentication import PbxNodeAuthentication

        return [PbxNodeAuthentication()]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.node = request.user
        self.tenant = self.node.tenant
        request.tenant = self.tenant

    @property
    def actor(self):
        return self.node


class PbxNodeAPIView(PbxNodeAPIMixin, APIView):
    pass


class PbxNodeScopedAPIView(PbxNodeAPIMixin, GenericAPIView):
    """A PBX view reading one model: set ``scoped_model``; the queryset is the node's tenant's
    rows (``model.objects.for_actor(node, node.tenant)``), so another tenant's id is 404."""

    scoped_model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.scoped_model.unscoped.none()
        return self.scoped_model.objects.for_actor(self.node, self.tenant)

