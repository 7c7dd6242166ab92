"""URL kwargs of the supervision part naming tenant A's objects (see tests/test_isolation.py)."""

from licensing import services as licensing
from licensing.models import LicenseAssignment, LicensePool
from supervision import services
from supervision.models import SupervisionGrant
from tenancy.models import PbxUser


def build(*, tenant, node, admin):
    agent = PbxUser.unscoped.get(tenant=tenant, extension="201")
    if agent.client_type != "softphone_usb":  # the demo data (page walks) may differ
        PbxUser.unscoped.filter(pk=agent.pk).update(client_type="softphone_usb")
    supervisor, _ = PbxUser.unscoped.get_or_create(
        tenant=tenant, extension="219", defaults={"display_name": "Isolde Iso"}
    )
    if not LicensePool.unscoped.filter(tenant=tenant, license="monitor").exists():
        licensing.set_license_pool(actor=None, tenant=tenant, license="monitor", quantity=5)
    if not LicenseAssignment.unscoped.filter(
        pbx_user=agent, license="monitor", revoked_at__isnull=True
    ).exists():
        licensing.assign_license(actor=None, tenant=tenant, pbx_user=agent, license="monitor")
    grant = SupervisionGrant.unscoped.filter(
        agent=agent, supervisor=supervisor, revoked_at__isnull=True
    ).first()
    if grant is None:
        grant = services.create_grant(actor=None, tenant=tenant, agent=agent, supervisor=supervisor)
    outcome = services.authorize(
        actor=node, tenant=tenant, supervisor="219", dialed="201*24*1#", call_id="iso-1"
    )
    assert outcome.decision.allowed, outcome.decision
    return {"grant_id": grant.pk, "session_id": outcome.session.pk}
