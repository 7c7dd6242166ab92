"""URL kwargs of the licensing part naming tenant A's objects (see tests/test_isolation.py)."""

from licensing import services
from licensing.models import LicenseAssignment
from tenancy.models import PbxUser


def build(*, tenant, node, admin):
    user = PbxUser.unscoped.get(tenant=tenant, extension="201")
    services.set_license_pool(actor=None, tenant=tenant, license="monitor", quantity=5)
    assignment = LicenseAssignment.unscoped.filter(
        tenant=tenant, pbx_user=user, license="monitor", revoked_at__isnull=True).first()
    if assignment is None:
        assignment = services.assign_license(actor=None, tenant=tenant, pbx_user=user,
                                             license="monitor")
    return {"license": "monitor", "assignment_id": assignment.pk}
