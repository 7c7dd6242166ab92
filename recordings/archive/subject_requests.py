"""Data-subject requests (GDPR Art. 15 access, Art. 17 erasure) for a phone number.

The number is normalised with ``phonenumbers`` and the tenant's country, so ``030 1234567``,
``+49 30 1234567``, ``0049301234567`` and ``49301234567`` find the same calls. What is found:
calls with that remote number (and their consent records) and their recordings. Access exports
a ZIP through the export machinery (with ``calls.csv``); erasure deletes the audio, blanks the
number on calls, recordings and ingests, and reports what a legal hold keeps.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from recordings import services as recording_services
from recordings.choices import AudioState, Consent, DiscardReason
from recordings.models import Call, Ingest, Recording, SubjectRequest
from recordings.phone import default_region, digits_of, to_e164

from .exports import create_export


def tenant_region(tenant) -> str:
    """The tenant's country for national numbers (a ``country`` field when the tenant has one,
    else the installation's default region)."""
    return (getattr(tenant, "country", "") or default_region()).upper()


def normalise_subject_number(raw: str, tenant) -> str:
    raw = (raw or "").strip()
    candidates = [raw]
    digits = digits_of(raw)
    if digits and not raw.startswith(("+", "0")):
        candidates.append("+" + digits)  # digits only, with the country code
    for candidate in candidates:
        e164 = to_e164(candidate, tenant_region(tenant))
        if e164:
            return e164
    raise ValidationError(
        {"number": ValidationError(_("This is not a valid phone number."), code="invalid_number")}
    )


def matching_calls(*, tenant_id, e164: str, raw: str = ""):
    match = Q(remote_number=e164) | Q(remote_number_raw=e164)
    if raw:
        match |= Q(remote_number_raw=raw)
    return Call.unscoped.filter(match, tenant_id=tenant_id)


def matching_recordings(*, tenant_id, e164: str, raw: str = ""):
    calls = matching_calls(tenant_id=tenant_id, e164=e164, raw=raw)
    match = Q(remote_number=e164) | Q(call__in=calls)
    return Recording.unscoped.filter(match, tenant_id=tenant_id).distinct()


def summary(*, tenant_id, e164: str, raw: str = "") -> dict:
    calls = matching_calls(tenant_id=tenant_id, e164=e164, raw=raw)
    recordings = matching_recordings(tenant_id=tenant_id, e164=e164, raw=raw)
    return {
        "calls": calls.count(),
        "consent_records": calls.exclude(consent=Consent.UNKNOWN).count(),
        "recordings": recordings.count(),
        "with_audio": recordings.filter(audio_state=AudioState.STORED).count(),
        "on_hold": recordings.filter(Q(legal_hold=True) | Q(discard_pending=True)).count(),
    }


def create_subject_request(
    *, actor, tenant, number: str, kind: str, reason: str = ""
) -> SubjectRequest:
    """Record the request and what the number finds now (audited
    ``subject_request.created``)."""
    if kind not in SubjectRequest.Kind.values:
        raise ValidationError(
            {"kind": ValidationError(_("Choose access or erasure."), code="invalid_kind")}
        )
    e164 = normalise_subject_number(number, tenant)
    with transaction.atomic():
        found = summary(tenant_id=tenant.pk, e164=e164, raw=number.strip())
        request = SubjectRequest.unscoped.create(
            tenant=tenant,
            number=number.strip()[:64],
            number_e164=e164,
            kind=kind,
            reason=(reason or "").strip()[:500],
            found=found,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            actor=actor,
            tenant=tenant,
            action="subject_request.created",
            obj=request,
            data={
                "request_id": request.pk,
                "kind": kind,
                "number": e164,
                "found": found,
                "reason": request.reason,
            },
        )
    return request


def export_subject_data(*, actor, tenant, request: SubjectRequest):
    """A ZIP of everything found (recordings with a manifest, calls and consent records)."""
    recordings = matching_recordings(
        tenant_id=tenant.pk, e164=request.number_e164, raw=request.number
    )
    return create_export(
        actor=actor,
        tenant=tenant,
        queryset=recordings,
        filters={"number": request.number_e164},
        reason=_("data-subject request %(id)s") % {"id": request.pk},
        subject_request=request,
    )


def erase_subject_data(*, actor, tenant, request: SubjectRequest) -> dict:
    """Erase what the number finds, except what a legal hold keeps (reported). The audio is
    deleted (tombstones stay, reason ``erasure``) and the number is blanked on the calls,
    recordings and ingests. Audited ``subject_request.erased`` with the report."""
    e164, raw = request.number_e164, request.number
    who = actor.get_username() if actor else ""
    now = timezone.now()
    with transaction.atomic():
        locked = SubjectRequest.unscoped.select_for_update().get(pk=request.pk)
        recordings = list(
            Recording.unscoped.select_for_update().filter(
                pk__in=matching_recordings(tenant_id=tenant.pk, e164=e164, raw=raw).values("pk")
            )
        )
        held = [r for r in recordings if r.legal_hold or r.discard_pending]
        held_calls = {r.call_id for r in held}
        erased = []
        for recording in recordings:
            if recording in held:
                continue
            if recording.audio_state == AudioState.STORED:
                recording_services.discard_recording(
                    actor=actor, recording=recording, by=who, at=now, reason=DiscardReason.ERASURE
                )
            Recording.unscoped.filter(pk=recording.pk).update(
                remote_number="", remote_number_raw=""
            )
            erased.append(recording.pk)
        for ingest in Ingest.unscoped.filter(recording_id__in=erased):
            metadata = dict(ingest.metadata or {})
            for name in ("remote_number", "remote_number_raw"):
                if name in metadata:
                    metadata[name] = ""
            Ingest.unscoped.filter(pk=ingest.pk).update(metadata=metadata)
        calls = matching_calls(tenant_id=tenant.pk, e164=e164, raw=raw)
        kept_calls = list(calls.filter(pk__in=held_calls).values_list("call_id", flat=True))
        erased_calls = calls.exclude(pk__in=held_calls).update(
            remote_number="", remote_number_raw="", consent_note="", updated_at=now
        )
        report = {
            "recordings_erased": len(erased),
            "recordings_on_hold": [r.pk for r in held],
            "calls_erased": erased_calls,
            "calls_kept": kept_calls,
        }
        locked.erased_at = now
        locked.erasure_report = report
        locked.save(update_fields=["erased_at", "erasure_report"])
        audit.record(
            actor=actor,
            tenant=tenant,
            action="subject_request.erased",
            obj=locked,
            data={"request_id": locked.pk, "number": e164, **report},
        )
    return report
