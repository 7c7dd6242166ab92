"""The tenant's archive settings (:class:`recordings.models.ArchivePolicy`) and retention
arithmetic (pure)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.forms.models import model_to_dict

import audit
from recordings.choices import Kind
from recordings.models import ArchivePolicy

POLICY_FIELDS = (
    "retention_days",
    "retention_auto_days",
    "retention_on_demand_days",
    "retention_client_days",
    "agents_may_object",
    "export_expiry_days",
    "export_max_bytes",
)
KIND_FIELD = {
    Kind.AUTO: "retention_auto_days",
    Kind.ON_DEMAND: "retention_on_demand_days",
    Kind.CLIENT: "retention_client_days",
}


def policy_for(tenant) -> ArchivePolicy:
    """The tenant's settings row, created with the defaults when missing."""
    policy = ArchivePolicy.unscoped.filter(tenant_id=tenant.pk).first()
    if policy is None:
        policy, _created = ArchivePolicy.unscoped.get_or_create(tenant_id=tenant.pk)
    return policy


def retention_days(policy, kind: str) -> int | None:
    """Days a recording of ``kind`` is kept: the kind's override, else the default; ``None``
    keeps it until deleted by hand."""
    override = getattr(policy, KIND_FIELD.get(kind, ""), None) if kind in KIND_FIELD else None
    return override if override is not None else policy.retention_days


def retention_cutoffs(policy, now) -> dict[str, object]:
    """Per kind, the start time before which a recording is due for purging (kinds kept
    forever are left out)."""
    out = {}
    for kind in Kind.values:
        days = retention_days(policy, kind)
        if days is not None:
            out[kind] = now - timedelta(days=days)
    return out


def update_policy(*, actor, tenant, **changes) -> ArchivePolicy:
    """Change the archive settings; audited ``recordings.settings_changed`` with before and
    after (only the fields that changed)."""
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"unknown archive settings: {sorted(unknown)}")
    with transaction.atomic():
        policy = policy_for(tenant)
        policy = ArchivePolicy.unscoped.select_for_update().get(pk=policy.pk)
        before = model_to_dict(policy, fields=POLICY_FIELDS)
        for name, value in changes.items():
            setattr(policy, name, value)
        policy.full_clean(exclude=["tenant"])
        after = model_to_dict(policy, fields=POLICY_FIELDS)
        changed = [name for name in POLICY_FIELDS if before[name] != after[name]]
        if changed:
            policy.save()
            audit.record(
                actor=actor,
                tenant=tenant,
                action="recordings.settings_changed",
                obj=policy,
                data={
                    "section": "archive",
                    "before": {k: before[k] for k in changed},
                    "after": {k: after[k] for k in changed},
                },
            )
    return policy
