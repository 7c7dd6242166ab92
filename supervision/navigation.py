from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem
from tenancy import permissions

NAV_ITEMS = [
    NavItem(
        _("Supervision"),
        "supervision:live",
        roles=permissions.WATCH_SESSIONS,
        order=30,
    ),
    NavItem(
        _("Monitoring of my calls"),
        "supervision:my-monitoring",
        roles=permissions.SEE_OWN_MONITORING,
        order=31,
    ),
]
