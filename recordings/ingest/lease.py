"""The claim on an ingest and every change of its status: nothing else writes ``status``.

- :func:`claim` moves an ingest from ``queued`` (or from ``processing`` with an expired lease)
  to ``processing`` with a fresh lease token in one conditional UPDATE; only the caller whose
  UPDATE changed the row proceeds. A second delivery of the same message, a sweeper
  re-enqueue or a concurrent worker therefore does nothing.
- :class:`Lease` renews the claim during long steps, locks the row for the final transaction
  (raising :class:`LeaseLost` when another worker took over) and writes the final state.
- :func:`back_to_queued` is the one "send it through the pipeline again" update (retry,
  release of an unknown extension, an objection, a transient failure).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from ..choices import IngestReason, IngestStatus
from ..conf import setting
from ..models import Ingest

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker took the ingest over after this one's lease expired."""


def lease_duration() -> timedelta:
    return timedelta(seconds=setting("INGEST_LEASE_SECONDS"))


def backoff_seconds(attempts: int) -> int:
    """Upper bound of the task's retry countdown after ``attempts`` (Celery's retry_backoff
    with jitter picks at most this)."""
    cap = setting("INGEST_RETRY_BACKOFF_MAX")
    return int(min(cap, 2 ** max(0, min(attempts, 20))))


def back_to_queued(rows, *, reason: str = "", detail: str = "", next_attempt_at=None,
                   now=None) -> int:
    """Send the ingests of ``rows`` (a filtered queryset: the caller says from which state)
    through the pipeline again; returns how many moved. The caller enqueues them."""
    now = now or timezone.now()
    return rows.update(status=IngestStatus.QUEUED, reason=reason, reason_detail=detail[:4000],
                       lease_token=None, lease_expires_at=None, next_attempt_at=next_attempt_at,
                       enqueued_at=now, finished_at=None, updated_at=now)


class Lease:
    """This worker's claim on one ingest."""

    # What the endings read of the locked row (the rest of it is in ``ingest``, from the claim).
    LOCKED_FIELDS = ("id", "tenant_id", "ingest_id", "source", "status", "lease_token",
                     "staged_in", "staged_path")

    def __init__(self, ingest: Ingest, token, claimed_at):
        self.ingest = ingest
        self.token = token
        self.claimed_at = claimed_at

    def _mine(self):
        return Ingest.unscoped.filter(pk=self.ingest.pk, lease_token=self.token,
                                      status=IngestStatus.PROCESSING)

    def renew_if_needed(self) -> None:
        """Extend the lease once a third of it is used; :class:`LeaseLost` if it is gone."""
        now = timezone.now()
        lease = lease_duration()
        if now - self.claimed_at < lease / 3:
            return
        if self._mine().update(lease_expires_at=now + lease, updated_at=now) != 1:
            raise LeaseLost()
        self.claimed_at = now

    def lock(self) -> Ingest:
        """The ingest row, locked for the final transaction (inside the caller's
        ``transaction.atomic``); :class:`LeaseLost` when the claim is no longer ours."""
        locked = Ingest.unscoped.select_for_update().only(*self.LOCKED_FIELDS).get(
            pk=self.ingest.pk)
        if locked.status != IngestStatus.PROCESSING or locked.lease_token != self.token:
            raise LeaseLost()
        return locked

    def close(self, locked: Ingest, *, status, reason="", detail="", recording=None,
              sha256="", size=None) -> None:
        """Write the final state (in the caller's transaction, with the row locked)."""
        now = timezone.now()
        fields = {
            "status": status, "reason": reason, "reason_detail": (detail or "")[:4000],
            "lease_token": None, "lease_expires_at": None, "next_attempt_at": None,
            "finished_at": now, "updated_at": now,
        }
        if sha256:
            fields["sha256"] = sha256
        if size is not None:
            fields["size"] = size
        if recording is not None:
            fields["recording"] = recording
        Ingest.unscoped.filter(pk=locked.pk).update(**fields)

    def release(self, detail: str) -> bool:
        """Give the ingest back to ``queued`` after a transient failure (best effort: when the
        database is the thing that is down, the lease expires and the sweeper takes over)."""
        now = timezone.now()
        try:
            back_to_queued(self._mine(), reason=IngestReason.TRANSIENT_ERROR, detail=detail,
                           next_attempt_at=now + timedelta(
                               seconds=backoff_seconds(self.ingest.attempts)), now=now)
        except Exception:
            log.warning("could not release ingest %s; its lease will expire",
                        self.ingest.ingest_id, exc_info=True)
            return False
        return True


def claim(ingest_id, *, tenant_id=None) -> Lease | None:
    """Claim the ingest for this worker; None when another run holds it or it is finished.

    One statement, ``UPDATE … RETURNING``: the conditional update that decides the claim
    also returns the row (the node or the uploading user, named in the audit event, load
    when first used)."""
    token = uuid.uuid4()
    now = timezone.now()
    table = connection.ops.quote_name(Ingest._meta.db_table)
    where = "ingest_id = %s AND (status = %s OR (status = %s AND lease_expires_at < %s))"
    params = [_db(ingest_id, "ingest_id"), IngestStatus.QUEUED, IngestStatus.PROCESSING,
              _db(now, "lease_expires_at")]
    if tenant_id is not None:
        where += " AND tenant_id = %s"
        params.append(tenant_id)
    # Only the quoted table name and fixed text are formatted in; every value is a parameter.
    sql = (f"UPDATE {table} SET status = %s, lease_token = %s, lease_expires_at = %s, "  # noqa: S608
           f"attempts = attempts + 1, next_attempt_at = NULL, updated_at = %s "
           f"WHERE {where} RETURNING *")
    claimed = list(Ingest.unscoped.raw(sql, [
        IngestStatus.PROCESSING, _db(token, "lease_token"),
        _db(now + lease_duration(), "lease_expires_at"), _db(now, "updated_at"), *params]))
    if len(claimed) != 1:
        return None
    return Lease(claimed[0], token, now)


def _db(value, field_name):
    """``value`` as the database takes it for the ingest's field (a raw statement gets no
    conversion from the ORM: UUIDs are text on SQLite, datetimes need the backend's form)."""
    return Ingest._meta.get_field(field_name).get_db_prep_value(value, connection)
