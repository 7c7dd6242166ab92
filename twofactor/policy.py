"""Who must sign in with a second factor (pure rules over memberships and tenant settings)."""

from tenancy import permissions
from tenancy.models import Membership

ALWAYS_REQUIRED_ROLES = permissions.TWO_FACTOR_ALWAYS


def requires_two_factor(user) -> bool:
    """Provider staff (the Django admin reaches every tenant), admins and compliance officers
    always; everyone in a tenant that requires it for all."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    from audit.models import ComplianceSettings

    memberships = list(Membership.unscoped.filter(user=user).values_list("role", "tenant_id"))
    if any(permissions.role_always_needs_two_factor(role) for role, _tenant in memberships):
        return True
    tenant_ids = [tenant for _role, tenant in memberships]
    return ComplianceSettings.unscoped.filter(tenant_id__in=tenant_ids,
                                              require_2fa_for_all=True).exists()
