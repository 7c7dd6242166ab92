from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem
from tenancy.choices import Role

NAV_ITEMS = [
    NavItem(
        _("Supervision"),
        "supervision:live",
        roles=frozenset({Role.ADMIN, Role.COMPLIANCE, Role.SUPERVISOR}),
        order=30,
    ),
    NavItem(
        _("Monitoring of my calls"),
        "supervision:my-monitoring",
        roles=frozenset({Role.MEMBER}),
        order=31,
    ),
]
