from hostedpbx.navigation import items_for
from hostedpbx.scoping import actor_memberships


def portal(request):
    """The current tenant and membership (set by TenantViewMixin) and the tenant switcher."""
    user = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    nav = items_for(tenant, membership) if tenant is not None and membership is not None else []
    return {
        "nav_items": nav,
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
        "my_memberships": actor_memberships(user) if user is not None else [],
    }
