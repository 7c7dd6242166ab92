"""The base of every customer-menu page, and the pages that belong to no part."""

import zoneinfo

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from hostedpbx.scoping import actor_memberships, resolve_tenant
from tenancy import permissions


class TenantViewMixin(LoginRequiredMixin):
    """Resolves ``self.tenant`` from ``<tenant_slug>`` in the URL; 404 unless a member.

    Anonymous requests are sent to the login page. ``allowed_roles`` narrows who of the
    tenant's members may open the page (others get 403: they know the tenant exists).
    """

    allowed_roles = permissions.USE_MENU

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        resolved = resolve_tenant(request.user, kwargs.get("tenant_slug"))
        if resolved is None:
            raise Http404("No such tenant.")
        tenant, membership = resolved
        self.tenant = request.tenant = tenant
        self.membership = request.membership = membership
        if membership.role not in self.allowed_roles:
            raise PermissionDenied
        # Times are shown in the tenant's time zone.
        with timezone.override(zoneinfo.ZoneInfo(tenant.timezone)):
            return super().dispatch(request, *args, **kwargs)

    @property
    def actor(self):
        return self.request.user

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tenant"] = self.tenant
        context["membership"] = self.membership
        return context


def home(request):
    """Send an account to its (first) tenant's menu."""
    if not request.user.is_authenticated:
        return redirect("login")
    memberships = actor_memberships(request.user)
    if len(memberships) == 1:
        return redirect("tenancy:dashboard", tenant_slug=memberships[0].tenant.slug)
    return render(request, "tenancy/choose_tenant.html", {"memberships": memberships})


class HealthView(View):
    """Liveness for load balancers: the database answers."""

    def get(self, request):
        from django.db import connection
        from django.http import JsonResponse

        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
