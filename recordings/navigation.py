from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem
from tenancy.choices import Role

NAV_ITEMS = [
    NavItem(_("Recordings"), "recordings:list", order=40),
    NavItem(_("Upload recordings"), "recordings:upload", order=41),
    NavItem(_("Ingest status"), "recordings:ingests",
            roles=frozenset({Role.ADMIN, Role.COMPLIANCE}), order=42),
    NavItem(_("Recording settings"), "recordings:settings", roles=frozenset({Role.ADMIN}),
            order=43),
    NavItem(_("Exports"), "recordings:exports", order=43),
    NavItem(_("Data-subject requests"), "recordings:subject-requests",
            roles=frozenset({Role.ADMIN, Role.COMPLIANCE}), order=44),
    NavItem(_("Archive settings"), "recordings:archive-settings",
            roles=frozenset({Role.ADMIN, Role.COMPLIANCE}), order=45),
]
