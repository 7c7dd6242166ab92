from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem
from tenancy import permissions

NAV_ITEMS = [
    NavItem(_("Overview"), "tenancy:dashboard", order=0),
    NavItem(_("PBX users"), "tenancy:pbx-users", order=10),
    NavItem(_("Portal accounts"), "tenancy:memberships", roles=permissions.MANAGE_ACCOUNTS,
            order=80),
]
