"""Demo data of the audit part: muster is a regulated firm (MiFID II retention).

Idempotent: set only while still at the defaults. Signed checkpoints come from the periodic task
(``make run`` runs beat) or ``manage.py audit_checkpoint``.
"""

from tenancy.models import Tenant

from .services import REGULATED_MIN_DAYS, compliance_settings, update_compliance_settings


def seed(*, stdout, logins):
    muster = Tenant.objects.filter(slug="muster").first()
    if muster is not None and not compliance_settings(muster).regulated:
        update_compliance_settings(actor=None, tenant=muster, regulated=True,
                                   audit_retention_days=max(REGULATED_MIN_DAYS, 3653))
        stdout.write("audit: muster is a regulated firm (audit events kept ten years)")
