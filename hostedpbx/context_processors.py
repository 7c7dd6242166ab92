from hostedpbx.navigation import items_for, switch_url
from hostedpbx.scoping import actor_memberships


def portal(request):
    """The current tenant and membership (set by TenantViewMixin), the menu and the tenant
    switcher (each tenant's link keeps the current page where it exists there)."""
    user = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    nav = (
        items_for(tenant, membership, request.path)
        if tenant is not None and membership is not None
        else []
    )
    memberships = actor_memberships(user) if user is not None else []
    match = getattr(request, "resolver_match", None)
    switch = (
        [
            {"membership": m, "url": switch_url(match if tenant is not None else None, m)}
            for m in memberships
        ]
        if len(memberships) > 1
        else []
    )

    def pending_invitation_count():
        # Evaluated only where a template asks (the banner of base.html): one small query.
        from tenancy.selectors import pending_invitations_for_account

        return pending_invitations_for_account(user).count() if user is not None else 0

    return {
        "pending_invitation_count": pending_invitation_count,
        "nav_items": nav,
        "current_tenant": tenant,
        "current_membership": membership,
        "my_memberships": memberships,
        "tenant_switch": switch,
    }
