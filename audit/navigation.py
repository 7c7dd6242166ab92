from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem

from .permissions import REVIEWER_ROLES

NAV_ITEMS = [
    NavItem(_("Audit trail"), "audit:trail", roles=REVIEWER_ROLES, order=90),
    NavItem(_("Compliance"), "audit:compliance-settings", roles=REVIEWER_ROLES, order=91),
]
