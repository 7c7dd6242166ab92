from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem
from tenancy import permissions

NAV_ITEMS = [
    NavItem(_("Audit trail"), "audit:trail", roles=permissions.REVIEW_AUDIT, order=90),
    NavItem(_("Compliance"), "audit:compliance-settings", roles=permissions.REVIEW_AUDIT,
            order=91),
]
