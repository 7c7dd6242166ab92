from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem
from tenancy import permissions

NAV_ITEMS = [
    NavItem(_("Licences"), "licensing:overview", order=20),
    NavItem(_("Capability matrix"), "licensing:matrix",
            roles=permissions.VIEW_LICENCE_DETAILS, order=21),
]
