"""Calls and the caller's consent: reports from the PBX and the routing, objections by people,
and what an objection does to the call's audio.

An objection is final. It discards the audio of every recording of the call (a legal hold
defers it), sends ingests of the call that wait in quarantine through the pipeline again so
that they end as tombstones, and drops the staged bytes of rejected ones. The pipeline asks
:func:`objected` before the first byte goes to final storage and while it uploads.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from tenancy import permissions
from tenancy.models import PbxUser

from .choices import AudioState, Consent, ConsentSource, IngestStatus
from .cleanup import discard_recording, remove_staged_on_commit
from .ingest.lease import back_to_queued
from .ingest.queue import enqueue_on_commit
from .metadata import ended_at_of, started_at_of
from .models import Call, Ingest, Recording
from .phone import normalise_number


class ConsentFinal(Exception):
    """The caller objected already; an objection cannot be taken back."""

    code = "consent_final"


# Admins and compliance officers may mark an objection on any call of the tenant.
may_object_any_call = permissions.may_object_any_call


def objection_source(membership) -> str:
    return ConsentSource.ADMIN if may_object_any_call(membership) else ConsentSource.AGENT


def objected(call_pk) -> bool:
    """Has the caller of this call objected (read now, not from a cached row)?"""
    return Call.unscoped.filter(pk=call_pk, consent=Consent.OBJECTED).exists()


def objected_by_call_id(tenant_id, call_id: str) -> bool:
    """The same by the PBX's call id (the call may not exist yet: a report creates it)."""
    return Call.unscoped.filter(tenant_id=tenant_id, call_id=call_id,
                                consent=Consent.OBJECTED).exists()


def call_details(metadata: dict) -> dict:
    """The call fields a recording's (cleaned) metadata or a PBX call report carries."""
    details = {}
    for name in ("extension", "direction"):
        if metadata.get(name):
            details[name] = metadata[name]
    for name in ("remote_number", "local_number"):
        if metadata.get(name):
            details[name] = normalise_number(metadata[name])
            details[f"{name}_raw"] = metadata[name][:64]
    if metadata.get("started_at"):
        details["started_at"] = started_at_of(metadata)
    if metadata.get("ended_at"):
        details["ended_at"] = ended_at_of(metadata)
    return details


def ensure_call(*, tenant, call_id: str, details: dict | None = None, lock: bool = False) -> Call:
    """The tenant's call ``call_id``, created if new; blank fields are filled from
    ``details`` (what is known is never overwritten). Runs inside the caller's transaction;
    ``lock`` takes the row lock that serialises consent changes and the pipeline's commit."""
    details = dict(details or {})
    tenant_id = getattr(tenant, "pk", tenant)
    if details.get("extension") and "pbx_user" not in details:
        details["pbx_user"] = PbxUser.unscoped.filter(
            tenant_id=tenant_id, extension=details["extension"]).first()
    call, created = Call.unscoped.get_or_create(tenant_id=tenant_id, call_id=call_id,
                                                defaults=details)
    if lock and not created:  # a row this transaction inserted is locked by it already
        call = Call.unscoped.select_for_update().get(pk=call.pk)
    if not created:
        changed = []
        for name, value in details.items():
            if value in (None, "") or getattr(call, name) not in (None, ""):
                continue
            setattr(call, name, value)
            changed.append(name)
        if changed:
            call.save(update_fields=[*changed, "updated_at"])
    return call


def apply_consent(*, actor, call: Call, outcome: str, source: str, set_by: str, note: str = "",
                  at=None) -> bool:
    """Set the caller's consent on a call locked by the caller's transaction; returns whether
    it changed. ``objected`` is final (``ConsentFinal`` for any other outcome later) and
    discards the audio of the call's recordings."""
    if call.consent == outcome:
        return False
    if call.consent == Consent.OBJECTED:
        raise ConsentFinal(_("The caller objected already; an objection is final."))
    before = call.consent
    at = at or timezone.now()
    call.consent = outcome
    call.consent_source = source
    call.consent_set_by = (set_by or "")[:200]
    call.consent_set_at = at
    call.consent_note = (note or "")[:500]
    call.save(update_fields=["consent", "consent_source", "consent_set_by", "consent_set_at",
                             "consent_note", "updated_at"])
    Recording.unscoped.filter(call=call).update(consent=outcome)
    audit.record(actor=actor, tenant=call.tenant_id, action="call.consent_changed", obj=call,
                 data={"call_id": call.call_id, "before": before, "after": outcome,
                       "source": source, "set_by": call.consent_set_by, "note": note,
                       "at": at})
    if outcome == Consent.OBJECTED:
        _discard_call_audio(actor=actor, call=call)
    return True


def report_consent(*, actor, tenant, call_id: str, outcome: str, source: str, set_by: str,
                   note: str = "", at=None, details: dict | None = None) -> tuple[Call, bool]:
    """A consent outcome reported for a call (by the PBX, the routing or a person); creates
    the call when the portal has not seen it yet. Idempotent for a repeated report."""
    with transaction.atomic():
        call = ensure_call(tenant=tenant, call_id=call_id, details=details, lock=True)
        changed = apply_consent(actor=actor, call=call, outcome=outcome, source=source,
                                set_by=set_by, note=note, at=at)
    return call, changed


def object_to_call(*, actor, membership, call: Call, note: str = "") -> tuple[Call, bool]:
    """A person marks the caller's objection after the fact (agent on their own call, admin or
    compliance officer on any: the caller's access is checked by
    ``selectors.access_call_for_objection``). Repeating it changes nothing."""
    with transaction.atomic():
        locked = Call.unscoped.select_for_update().get(pk=call.pk)
        if locked.consent == Consent.OBJECTED:
            return locked, False
        changed = apply_consent(actor=actor, call=locked, outcome=Consent.OBJECTED,
                                source=objection_source(membership),
                                set_by=actor.get_username(), note=note)
    return locked, changed


# Called as ``hook(actor=, call=)`` inside the end-call transaction (supervision ends the
# call's monitoring sessions there).
CALL_ENDED_HOOKS: list = []


def end_call(*, actor, tenant, call_id: str, ended_at, details: dict | None = None) -> Call:
    """The PBX reports the end of a call (creating it if unknown). Not audited: it changes no
    right and no recording. ``CALL_ENDED_HOOKS`` run in the same transaction."""
    with transaction.atomic():
        call = ensure_call(tenant=tenant, call_id=call_id, details=details, lock=True)
        if call.ended_at != ended_at:
            call.ended_at = ended_at
            call.save(update_fields=["ended_at", "updated_at"])
        for hook in CALL_ENDED_HOOKS:
            hook(actor=actor, call=call)
    return call


def _discard_call_audio(*, actor, call: Call) -> None:
    """After an objection (in its transaction): tombstone every stored recording of the call
    (a legal hold defers it), send quarantined ingests through the pipeline again so that
    they end as tombstones, and drop the staged bytes of rejected ones."""
    now = timezone.now()
    recordings = Recording.unscoped.select_for_update().filter(
        call=call, audio_state=AudioState.STORED, discard_pending=False)
    for recording in recordings:
        if recording.legal_hold:
            recording.discard_pending = True
            recording.save(update_fields=["discard_pending"])
            audit.record(actor=actor, tenant=call.tenant_id, action="recording.discard_deferred",
                         obj=recording,
                         data={"call_id": call.call_id, "reason": "legal_hold",
                               "sha256": recording.sha256})
        else:
            discard_recording(actor=actor, recording=recording, by=call.consent_set_by,
                              at=now)
    of_call = Ingest.unscoped.filter(tenant_id=call.tenant_id, call_id=call.call_id)
    for ingest in list(of_call.filter(status=IngestStatus.QUARANTINED)):
        if back_to_queued(Ingest.unscoped.filter(pk=ingest.pk,
                                                 status=IngestStatus.QUARANTINED), now=now):
            enqueue_on_commit(ingest)
    for ingest in of_call.filter(status=IngestStatus.REJECTED).exclude(staged_in=""):
        audit.record(actor=actor, tenant=call.tenant_id, action="ingest.audio_discarded",
                     obj=ingest, data={"ingest_id": str(ingest.ingest_id),
                                       "call_id": call.call_id, "reason": ingest.reason})
        remove_staged_on_commit(ingest)
