from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem

from .permissions import may_view_routing, roles_where

NAV_ITEMS = [
    NavItem(_("Legal notice"), "callrouting:list", roles=roles_where(may_view_routing), order=45),
]
