"""Retention and deletion: the daily purge turns recordings past the tenant's retention into
tombstones (audio deleted, row kept with discard reason ``retention``); admins and compliance
officers delete single recordings with a reason. Held recordings are never touched."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from recordings import services as recording_services
from recordings.choices import AudioState, DiscardReason
from recordings.models import ArchivePolicy, Recording

from .errors import AlreadyDiscarded, LegalHoldActive
from .policy import retention_cutoffs

log = logging.getLogger(__name__)
PURGE_BATCH = 500


def due_for_purge(*, tenant_id, policy, now):
    """The tenant's stored recordings past their retention that no hold keeps."""
    from django.db.models import Q

    cutoffs = retention_cutoffs(policy, now)
    if not cutoffs:
        return Recording.unscoped.none()
    past = Q()
    for kind, cutoff in cutoffs.items():
        past |= Q(kind=kind, started_at__lt=cutoff)
    return Recording.unscoped.filter(
        past,
        tenant_id=tenant_id,
        audio_state=AudioState.STORED,
        legal_hold=False,
        discard_pending=False,
    )


def purge_tenant(*, tenant_id, now=None, batch: int = PURGE_BATCH) -> int:
    """Tombstone the tenant's recordings past retention, in batches of one transaction each
    (each row locked and checked again, so a hold set meanwhile wins). Returns how many."""
    now = now or timezone.now()
    policy = ArchivePolicy.unscoped.filter(tenant_id=tenant_id).first()
    if policy is None:
        return 0
    purged = 0
    while True:
        ids = list(
            due_for_purge(tenant_id=tenant_id, policy=policy, now=now)
            .order_by("started_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        with transaction.atomic():
            rows = Recording.unscoped.select_for_update().filter(
                pk__in=ids, audio_state=AudioState.STORED, legal_hold=False, discard_pending=False
            )
            done = []
            for recording in rows:
                recording_services.discard_recording(
                    actor=None,
                    recording=recording,
                    by=_("retention"),
                    at=now,
                    reason=DiscardReason.RETENTION,
                )
                done.append(recording.pk)
            if done:
                audit.record(
                    actor=None,
                    tenant=tenant_id,
                    action="recording.retention_purged",
                    object_type="recordings.recording",
                    data={"recording_ids": done, "count": len(done)},
                )
        purged += len(done)
        if len(ids) < batch or not done:
            break
    return purged


def purge_all(now=None) -> dict[int, int]:
    """The daily task: every tenant with a retention period."""
    out = {}
    policies = ArchivePolicy.unscoped.exclude(
        retention_days__isnull=True,
        retention_auto_days__isnull=True,
        retention_on_demand_days__isnull=True,
        retention_client_days__isnull=True,
    )
    for tenant_id in policies.values_list("tenant_id", flat=True):
        try:
            out[tenant_id] = purge_tenant(tenant_id=tenant_id, now=now)
        except Exception:
            log.exception("retention purge of tenant %s failed; next run retries", tenant_id)
    return out


def delete_recording(*, actor, recording: Recording, reason: str) -> Recording:
    """Delete a recording's audio by hand (a tombstone stays), with a required reason.
    Raises :class:`LegalHoldActive` for a held recording, :class:`AlreadyDiscarded` when the
    audio is gone already."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {
                "reason": ValidationError(
                    _("Give a reason for the deletion."), code="reason_required"
                )
            }
        )
    with transaction.atomic():
        locked = Recording.unscoped.select_for_update().get(pk=recording.pk)
        if locked.legal_hold or locked.discard_pending:
            raise LegalHoldActive()
        if locked.audio_state != AudioState.STORED:
            raise AlreadyDiscarded()
        audit.record(
            actor=actor,
            tenant=locked.tenant_id,
            action="recording.deleted",
            obj=locked,
            data={
                "recording_id": locked.pk,
                "reason": reason[:500],
                "sha256": locked.sha256,
                "size": locked.size,
            },
        )
        recording_services.discard_recording(
            actor=actor,
            recording=locked,
            by=actor.get_username() if actor else "",
            reason=DiscardReason.DELETED,
        )
    return locked
