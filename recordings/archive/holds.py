"""Legal hold: set or lift it on one recording or on every recording matching a filter, with
a case reference. A held recording is never purged or deleted; an objection on it is deferred
(``discard_pending``) and carried out when the hold is lifted. On a bucket with S3 Object Lock
the object's own legal hold is set too."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from recordings import services as recording_services
from recordings.models import LegalHold, Recording

from .errors import CountChanged
from .objectlock import set_object_legal_hold

MAX_BULK = 10_000


def _clean_reference(case_reference: str) -> str:
    case_reference = (case_reference or "").strip()
    if not case_reference:
        raise ValidationError(
            {
                "case_reference": ValidationError(
                    _("Enter the case reference of the hold."), code="case_reference_required"
                )
            }
        )
    return case_reference[:200]


def _set(*, actor, recording_pk, case_reference, note) -> bool:
    recording = Recording.unscoped.select_for_update().get(pk=recording_pk)
    if recording.legal_hold:
        return False
    recording.legal_hold = True
    recording.save(update_fields=["legal_hold"])
    LegalHold.unscoped.create(
        tenant_id=recording.tenant_id,
        recording=recording,
        case_reference=case_reference,
        note=(note or "")[:500],
        set_by=actor if getattr(actor, "pk", None) else None,
    )
    # Before the commit: a hold the storage refuses fails the whole change.
    in_storage = (
        set_object_legal_hold(recording.storage_key, True) if recording.has_audio else False
    )
    audit.record(
        actor=actor,
        tenant=recording.tenant_id,
        action="recording.legal_hold_set",
        obj=recording,
        data={
            "recording_id": recording.pk,
            "case_reference": case_reference,
            "note": note or "",
            "object_lock": in_storage,
        },
    )
    return True


def _lift(*, actor, recording_pk, reason) -> bool:
    recording = Recording.unscoped.select_for_update().get(pk=recording_pk)
    if not recording.legal_hold:
        return False
    now = timezone.now()
    holds = list(LegalHold.unscoped.filter(recording=recording, lifted_at__isnull=True))
    LegalHold.unscoped.filter(pk__in=[h.pk for h in holds]).update(
        lifted_at=now,
        lifted_by=actor if getattr(actor, "pk", None) else None,
        lift_reason=(reason or "")[:500],
    )
    recording.legal_hold = False
    recording.save(update_fields=["legal_hold"])
    in_storage = (
        set_object_legal_hold(recording.storage_key, False) if recording.has_audio else False
    )
    audit.record(
        actor=actor,
        tenant=recording.tenant_id,
        action="recording.legal_hold_lifted",
        obj=recording,
        data={
            "recording_id": recording.pk,
            "reason": reason or "",
            "case_references": [h.case_reference for h in holds],
            "object_lock": in_storage,
        },
    )
    if recording.discard_pending:
        # The caller objected while the hold kept the audio: carry out the objection now.
        recording_services.discard_recording(
            actor=actor, recording=recording, by=recording.call.consent_set_by
        )
    return True


def set_legal_hold(*, actor, recording: Recording, case_reference: str, note: str = "") -> bool:
    """Hold one recording; False when it was held already (nothing changes)."""
    case_reference = _clean_reference(case_reference)
    with transaction.atomic():
        return _set(
            actor=actor, recording_pk=recording.pk, case_reference=case_reference, note=note
        )


def lift_legal_hold(*, actor, recording: Recording, reason: str = "") -> bool:
    """Lift the hold of one recording; False when it was not held."""
    with transaction.atomic():
        return _lift(actor=actor, recording_pk=recording.pk, reason=reason)


def _bulk_ids(queryset, expected_count) -> list[int]:
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: MAX_BULK + 1])
    if len(ids) > MAX_BULK:
        raise ValidationError(
            _("At most %(max)s recordings can be changed at once; narrow the filter.")
            % {"max": MAX_BULK},
            code="too_many",
        )
    try:
        expected = int(expected_count)
    except (TypeError, ValueError, OverflowError):
        # The menu's form sends the count it showed; anything else was not shown to anyone.
        raise ValidationError(
            _("The number of recordings to change is missing; check the selection again."),
            code="count_required",
        ) from None
    if expected != len(ids):
        raise CountChanged()
    return ids


def set_legal_hold_many(
    *,
    actor,
    tenant,
    queryset,
    case_reference: str,
    expected_count,
    note: str = "",
    filters: dict | None = None,
) -> int:
    """Hold every recording of ``queryset`` (already scoped to what the actor sees) after the
    person confirmed how many (``expected_count``); returns how many were newly held."""
    case_reference = _clean_reference(case_reference)
    with transaction.atomic():
        ids = _bulk_ids(queryset, expected_count)
        changed = sum(
            _set(actor=actor, recording_pk=pk, case_reference=case_reference, note=note)
            for pk in ids
        )
        audit.record(
            actor=actor,
            tenant=tenant,
            action="recording.legal_hold_bulk_set",
            object_type="recordings.recording",
            data={
                "case_reference": case_reference,
                "matched": len(ids),
                "changed": changed,
                "filters": filters or {},
            },
        )
    return changed


def lift_legal_hold_many(
    *, actor, tenant, queryset, expected_count, reason: str = "", filters: dict | None = None
) -> int:
    with transaction.atomic():
        ids = _bulk_ids(queryset, expected_count)
        changed = sum(_lift(actor=actor, recording_pk=pk, reason=reason) for pk in ids)
        audit.record(
            actor=actor,
            tenant=tenant,
            action="recording.legal_hold_bulk_lifted",
            object_type="recordings.recording",
            data={
                "reason": reason or "",
                "matched": len(ids),
                "changed": changed,
                "filters": filters or {},
            },
        )
    return changed


def active_hold(recording) -> LegalHold | None:
    return LegalHold.unscoped.filter(recording_id=recording.pk, lifted_at__isnull=True).first()
