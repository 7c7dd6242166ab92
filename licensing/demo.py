"""Demo data of licensing: pools for ``muster`` and ``nordlicht`` and a few assignments.

Idempotent: a pool is created only when missing (so its dates stay as first seeded) and a
licence is assigned only when the user does not hold it yet; everything goes through the
services, so the demo's audit trail looks like real use.
"""

import datetime

from tenancy.models import PbxUser, Tenant

from . import services
from .choices import License
from .exceptions import LicensingError
from .models import LicensePool
from .selectors import tenant_today

M, R = License.MONITOR, License.RECORD


def _plan(today):
    end_of_next_year = datetime.date(today.year + 1, 12, 31)
    start_of_year = datetime.date(today.year, 1, 1)
    return {
        "muster": {
            "pools": [(M, 5, start_of_year, end_of_next_year),
                      (R, 10, start_of_year, end_of_next_year)],
            # Anna (softphone USB): monitored and recorded; Lea (CTI) and Sophie (desk phone)
            # show in the matrix what their client types cannot do.
            "assignments": [("201", M), ("201", R), ("202", M), ("203", M), ("204", R),
                            ("205", R)],
        },
        "nordlicht": {
            "pools": [(M, 3, start_of_year, end_of_next_year),
                      (R, 3, start_of_year, today + datetime.timedelta(days=20))],
            "assignments": [("3101", M), ("3102", M), ("3102", R), ("3104", R)],
        },
    }


def seed(*, stdout, logins):
    for slug in ("muster", "nordlicht"):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            continue
        plan = _plan(tenant_today(tenant))[slug]
        for license, quantity, valid_from, valid_until in plan["pools"]:
            if not LicensePool.unscoped.filter(tenant=tenant, license=license).exists():
                services.set_license_pool(actor=None, tenant=tenant, license=license,
                                          quantity=quantity, valid_from=valid_from,
                                          valid_until=valid_until)
                stdout.write(f"  licence pool {slug} {license} × {quantity}")
        for extension, license in plan["assignments"]:
            if not PbxUser.unscoped.filter(tenant=tenant, extension=extension).exists():
                continue
            try:
                services.assign_license(actor=None, tenant=tenant, extension=extension,
                                        license=license, reason="Demo")
            except LicensingError:
                continue  # held already, pool used up, or the user is deactivated
