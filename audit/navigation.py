from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem

NAV_ITEMS = [
    NavItem(_("Audit trail"), "audit:trail", roles=frozenset({"admin", "compliance"}), order=90),
]
