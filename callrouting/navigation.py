from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem
from tenancy import permissions

NAV_ITEMS = [
    NavItem(_("Legal notice"), "callrouting:list", roles=permissions.VIEW_ROUTINGS, order=45),
]
