"""Writes of the audit part: compliance settings and the retention purge (each audited)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit

from .models import AuditChainHead, AuditCheckpoint, AuditEvent, ComplianceSettings, chain_key

# MiFID II Art. 16(7) / Delegated Regulation Art. 76: records kept at least five years.
REGULATED_MIN_DAYS = 5 * 365 + 2
MIN_DAYS = 30
SETTINGS_FIELDS = ("regulated", "audit_retention_days", "require_2fa_for_all")


def compliance_settings(tenant) -> ComplianceSettings:
    """The tenant's compliance settings, created with the defaults on first use."""
    found = ComplianceSettings.unscoped.filter(tenant=tenant).first()
    if found is not None:
        return found
    ComplianceSettings.unscoped.bulk_create([ComplianceSettings(tenant=tenant)],
                                            ignore_conflicts=True)
    return ComplianceSettings.unscoped.get(tenant=tenant)


def validate_retention(*, regulated: bool, days: int) -> None:
    if days < MIN_DAYS:
        raise ValidationError({"audit_retention_days": ValidationError(
            _("Keep audit events at least %(days)s days."), code="retention_too_short",
            params={"days": MIN_DAYS})})
    if regulated and days < REGULATED_MIN_DAYS:
        raise ValidationError({"audit_retention_days": ValidationError(
            _("A regulated firm keeps audit events at least five years (%(days)s days)."),
            code="retention_below_regulated_floor", params={"days": REGULATED_MIN_DAYS})})


def update_compliance_settings(*, actor, tenant, **changes) -> ComplianceSettings:
    """Change the tenant's compliance settings; audited as ``audit.settings_changed`` with
    before and after. Raises ``ValidationError`` (``retention_below_regulated_floor``) when a
    regulated tenant would keep events less than five years."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not changeable: {sorted(unknown)}")
    compliance_settings(tenant)
    with transaction.atomic():
        locked = ComplianceSettings.unscoped.select_for_update().get(tenant=tenant)
        before = {name: getattr(locked, name) for name in SETTINGS_FIELDS}
        for name, value in changes.items():
            setattr(locked, name, value)
        validate_retention(regulated=locked.regulated, days=locked.audit_retention_days)
        after = {name: getattr(locked, name) for name in SETTINGS_FIELDS}
        if before == after:
            return locked
        locked.save()
        audit.record(actor=actor, tenant=tenant, action="audit.settings_changed", obj=locked,
                     data={"before": {k: v for k, v in before.items() if v != after[k]},
                           "after": {k: v for k, v in after.items() if v != before[k]}})
    return locked


def purge_expired(*, tenant, now=None) -> int:
    """Delete the tenant's audit events older than its retention, up to the last signed
    checkpoint among them, so the kept chain verifies from that checkpoint onwards.

    Returns the number of events deleted (0 when no checkpoint covers an expired event). The
    chain head's ``first_seq`` moves in the same transaction, which also records
    ``audit.purged``. Re-running deletes nothing more until more events expire.
    """
    now = now or timezone.now()
    days = compliance_settings(tenant).audit_retention_days
    cutoff = now - timedelta(days=days)
    chain = chain_key(tenant.pk)
    last_expired = (AuditEvent.unscoped.filter(chain=chain, occurred_at__lt=cutoff)
                    .order_by("-seq").values_list("seq", flat=True).first())
    if last_expired is None:
        return 0
    checkpoint = (AuditCheckpoint.objects.filter(chain=chain, seq__lte=last_expired)
                  .order_by("-seq").first())
    if checkpoint is None:
        return 0
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(chain=chain)
        if checkpoint.seq < head.first_seq:
            return 0
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL audit.purge = 'on'")
        deleted, _details = AuditEvent.unscoped.filter(
            chain=chain, seq__gte=head.first_seq, seq__lte=checkpoint.seq).delete()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL audit.purge = 'off'")
        AuditChainHead.objects.filter(chain=chain).update(first_seq=checkpoint.seq + 1)
        audit.record(actor=None, tenant=tenant, action="audit.purged",
                     data={"up_to_seq": checkpoint.seq, "deleted": deleted,
                           "retention_days": days, "checkpoint": checkpoint.storage_key})
    return deleted
