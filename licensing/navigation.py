from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem
from tenancy.choices import Role

NAV_ITEMS = [
    NavItem(_("Licences"), "licensing:overview", order=20),
    NavItem(_("Capability matrix"), "licensing:matrix",
            roles=frozenset({Role.ADMIN, Role.COMPLIANCE, Role.SUPERVISOR}), order=21),
]
