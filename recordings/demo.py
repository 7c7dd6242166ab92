"""Demo recordings: a handful of generated calls per demo tenant, pushed through the real
pipeline (staging, analysis, licence check, consent, storage, audit), so that the first
``make run`` shows a populated archive and ingest page.

Idempotent: call ids and audio are deterministic, and the same call and audio again is the
same ingest (nothing twice). Runs the pipeline synchronously (the worker may not be up while
seeding) and takes a few seconds on the embedded defaults.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta

import numpy as np
import soundfile
from django.utils import timezone

from licensing.models import LicenseAssignment
from tenancy.models import PbxNode, PbxUser, Tenant

from . import staging
from .audio import sha256_file
from .choices import Direction, IngestSource, IngestStatus, Kind
from .ingest.receive import receive_audio
from .ingest.runner import run_ingest
from .metadata import validate_metadata

RATE = 8000
REMOTES = ["+49 30 901820", "0221 4710815", "+49 89 2333300", "040 4288020", "0711 2160",
           "+43 1 5350000", "0351 4884000", "069 21201"]


def _voice(seconds: float, seed: int) -> np.ndarray:
    """A deterministic speech-like signal: a gliding voiced pitch with harmonics, shaped into
    syllables and words, with a little line noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    base = 110 + 25 * (seed % 5)
    pitch = base + 30 * np.sin(2 * np.pi * 0.4 * t) + 10 * np.sin(2 * np.pi * 2.1 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    voice = sum(w * np.sin(k * phase) for k, w in enumerate((1.0, 0.6, 0.4, 0.25, 0.15), 1))
    syllables = (0.5 - 0.5 * np.cos(2 * np.pi * 3.6 * t)) ** 1.5
    words = (np.sin(2 * np.pi * 0.55 * t + seed) > -0.3).astype(float)
    signal = 0.22 * voice * syllables * words + rng.normal(0, 0.004, t.size)
    return np.clip(signal, -1, 1).astype(np.float32)


def _holds(tenant) -> dict[str, dict[str, object]]:
    """``{extension: {licence: assigned_at}}`` of the open assignments."""
    held: dict[str, dict[str, object]] = {}
    for extension, license, assigned_at in LicenseAssignment.unscoped.filter(
        tenant=tenant, revoked_at__isnull=True,
    ).values_list("pbx_user__extension", "license", "assigned_at"):
        held.setdefault(extension, {})[license] = assigned_at
    return held


def _plan(tenant, users, held):
    """``[(extension, kind, direction, consent, seconds, subtype)]`` for the tenant."""
    monitored = [u.extension for u in users if "monitor" in held.get(u.extension, {})]
    recorders = [u.extension for u in users if "record" in held.get(u.extension, {})]
    unlicensed = [u.extension for u in users if "monitor" not in held.get(u.extension, {})]
    plan = []
    for index, extension in enumerate(monitored[:3]):
        plan.append((extension, Kind.AUTO, [Direction.INBOUND, Direction.OUTBOUND][index % 2],
                     ["notified", "consented", "notified"][index], 3 + index, "PCM_16"))
    for index, extension in enumerate(recorders[:2]):
        plan.append((extension, Kind.ON_DEMAND, Direction.INBOUND, "notified", 4, "ULAW"))
        if index == 0:
            plan.append((extension, Kind.CLIENT, Direction.OUTBOUND, "", 3, "PCM_16"))
    if monitored:
        # The caller objected in the legal-notice routing: a tombstone, no audio.
        plan.append((monitored[0], Kind.AUTO, Direction.INBOUND, "objected", 3, "PCM_16"))
    if unlicensed:
        # Recorded automatically without a Monitor licence: kept, flagged for the admin.
        plan.append((unlicensed[-1], Kind.AUTO, Direction.INBOUND, "notified", 3, "PCM_16"))
    # An extension the portal does not know yet: quarantined until an admin creates it.
    known = {u.extension for u in users}
    unknown = int(users[-1].extension) + 79 if users else 299
    while str(unknown) in known:
        unknown += 1
    plan.append((str(unknown), Kind.AUTO, Direction.INBOUND, "notified", 2, "PCM_16"))
    return plan


def seed(*, stdout, logins):
    for slug in ("muster", "nordlicht"):
        tenant = Tenant.objects.filter(slug=slug).first()
        node = PbxNode.unscoped.filter(tenant=tenant, name="pbx1").first() if tenant else None
        if tenant is None or node is None:
            continue
        users = list(PbxUser.unscoped.filter(tenant=tenant, is_active=True).order_by("extension"))
        held = _holds(tenant)
        now = timezone.now()
        outcomes: dict[str, int] = {}
        plan = _plan(tenant, users, held)
        for number, (extension, kind, direction, consent, seconds, subtype) in enumerate(plan, 1):
            started = now - timedelta(minutes=17 * (len(plan) - number + 1))
            needed = "monitor" if kind == Kind.AUTO else "record"
            since = held.get(extension, {}).get(needed)
            if since is not None and started < since:
                # Licences seeded a moment ago: the call starts once the licence is held.
                started = since + (now - since) * number / (len(plan) + 1)
            status = _push(tenant, node, number, extension, kind, direction, consent, seconds,
                           subtype, started)
            outcomes[status] = outcomes.get(status, 0) + 1
        summary = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items()))
        stdout.write(f"  recordings {slug}: {summary}")


def _push(tenant, node, number, extension, kind, direction, consent, seconds, subtype,
          started) -> str:
    metadata = validate_metadata({
        "call_id": f"demo-{tenant.slug}-{number:02d}", "extension": extension,
        "direction": direction, "kind": kind, "consent": consent,
        "remote_number": REMOTES[number % len(REMOTES)] if direction != "internal" else "",
        "started_at": started.isoformat(),
    })
    fd, name = tempfile.mkstemp(suffix=".wav", dir=staging.temp_dir())
    os.close(fd)
    try:
        soundfile.write(name, _voice(seconds, number + len(tenant.slug)), RATE,
                        subtype=subtype, format="WAV")
        ingest, _created = receive_audio(
            tenant=tenant, source=IngestSource.PUSH, metadata=metadata, temp_path=name,
            sha256=sha256_file(name), size=os.path.getsize(name),
            original_name=f"{metadata['call_id']}.wav", node=node, enqueue=False)
    finally:
        if os.path.exists(name):
            os.unlink(name)
    if ingest.status == IngestStatus.QUEUED:
        run_ingest(ingest.ingest_id, tenant_id=tenant.pk)
        ingest.refresh_from_db()
    return ingest.status
