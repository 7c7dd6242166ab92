from django.urls import reverse
from django.utils.translation import gettext as _

from hostedpbx.dashboard import Tile
from tenancy import permissions

from .selectors import pool_usage

# The tenant's licence stock is for those who manage it; agents and supervisors see their own
# recent calls on the overview instead (recordings/dashboard.py).
ROLES = permissions.SEE_LICENCE_STOCK


def tiles(*, actor, tenant, membership):
    url = reverse("licensing:overview", kwargs={"tenant_slug": tenant.slug})
    out = []
    for usage in pool_usage(tenant=tenant):
        tone = "bad" if usage.status != "valid" and usage.used else (
            "warn" if usage.expiring_soon or usage.available == 0 else "ok")
        note = _("%(used)s of %(total)s used") % {"used": usage.used,
                                                  "total": usage.effective_quantity}
        out.append(Tile(_("%(licence)s licences free") % {"licence": usage.label},
                        str(usage.available), url, note=note, tone=tone, order=20))
    return out
