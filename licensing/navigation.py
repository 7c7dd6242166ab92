from django.utils.translation import gettext_lazy as _

from hostedpbx.navigation import NavItem

NAV_ITEMS = [
    # One entry for the section: the capability matrix, the advisor and the CSV import are
    # tabs of the licences pages (and highlight this entry).
    NavItem(_("Licences"), "licensing:overview", order=20),
]
