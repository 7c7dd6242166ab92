"""Audit actions of the licensing part, with their labels (see ``audit.actions``)."""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "license.assigned": (_("Licence assigned"), "licences"),
    "license.revoked": (_("Licence revoked"), "licences"),
    "license.bulk_imported": (_("Licences imported from a file"), "licences"),
    "license_pool.set": (_("Licence pool set"), "licences"),
}
