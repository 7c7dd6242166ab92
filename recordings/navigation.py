from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem
from tenancy import permissions

NAV_ITEMS = [
    NavItem(_("Recordings"), "recordings:list", order=40),
    NavItem(_("Upload recordings"), "recordings:upload", order=41),
    NavItem(_("Ingest status"), "recordings:ingests",
            roles=permissions.MANAGE_INGESTS, order=42),
    NavItem(_("Exports"), "recordings:exports", order=43),
    NavItem(_("Data-subject requests"), "recordings:subject-requests",
            roles=permissions.KEEP_RECORDINGS, order=44),
    NavItem(_("Recording settings"), "recordings:settings",
            roles=permissions.KEEP_RECORDINGS, order=45),
]
