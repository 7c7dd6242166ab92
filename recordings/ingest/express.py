"""The express lane: a pushed recording stored inside its receiving request.

Most pushes need none of the pipeline's other endings: the extension is a PBX user, the caller
has not objected, the audio is new and well-formed. For those the push view stores the
recording before it answers — checks, analysis, upload and the final transaction in the
request, in a handful of statements — and answers ``202 {"status": "stored"}``: the bytes are
in final storage and the rows committed, so the 202 still means "durable". Everything else is
handed to the pipeline (``receive.receive_audio``: staged, queued, ``202 "queued"``), which
alone decides the other endings; the lane never rejects, quarantines or tombstones anything.

The same promises as the pipeline's (``runner``):

- **Consent before storage.** One statement reads, before the first byte goes up, the PBX
  user, the caller's objection, a duplicate and the licence held at the call's start; during
  the upload the consent is read again before the last bytes go (``confirm_last``), and the
  final transaction locks the call and reads it once more. An objection at any point hands
  the push to the pipeline, which writes the tombstone (and deletes an object this lane put,
  see below).
- **One transaction** writes the call (when new), the ingest (``stored``), the recording and
  the audit event; nothing is answered before its commit.
- **Same call and audio, same ingest.** The ingest's id is derived from the tenant, the call
  and the SHA-256 (:func:`pushed_ingest_id`), so a retry uses the same id and storage key;
  identical pushes in flight at once take the lane one after the other
  (:func:`one_at_a_time`), and the second answers the first's ingest.
- **Nothing left behind.** When the lane stops after bytes may have reached the key (an
  objection under the final lock, a database error, a race), the pipeline gets the push with
  ``attempts=1``: it looks at the key before uploading and deletes the object if it does not
  keep it. A process killed between the upload and the commit answered nothing; the node
  pushes again and the retry finds the same key.

The lane writes its rows with statements built from the models' own fields and defaults
(:func:`write_rows`: on PostgreSQL call, ingest and recording in one; :func:`insert_row`
elsewhere), so a renamed column cannot break them, and reads with one statement before the
upload: through the ORM each such statement costs several times the CPU (an ``exists()`` 0.82
ms against 0.19 ms), and the queued pipeline's twenty-odd statements, its claim, lease and
staging file were what kept it at half the two-hop reference's rate (``docs/performance.md``).
The recording's fields, the licence rule, the audit event, the call's details and the
objection guard come from the functions the pipeline uses (``outcomes``, ``steps``,
``consent``).

``INGEST_EXPRESS`` turns it off (every push queued); pushes above ``INGEST_EXPRESS_MAX_BYTES``,
pushes that report a consent outcome, and for 30 s after a failed upload to the store
(:func:`pause_for_storage`) all pushes go through the pipeline.
"""

from __future__ import annotations

import fcntl
import logging
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

import audit
from licensing.models import LicenseAssignment
from tenancy.models import PbxUser

from .. import audio, consent
from ..choices import REQUIRED_LICENSE, Consent, IngestSource, IngestStatus, StagedIn
from ..cleanup import schedule_object_deletion
from ..conf import setting
from ..metadata import started_at_of
from ..models import Call, Ingest, Recording
from ..storage import ChecksumMismatch, get_store, recording_key
from .outcomes import ingested_event, recording_fields
from .receive import find_received, receive_audio
from .steps import dotted
from .steps.analyse import plain
from .steps.licence import violation
from .steps.upload import ObjectionGuard, caused_by_abort
from .transient import is_transient

log = logging.getLogger(__name__)

_NAMESPACE = uuid.UUID("6f1c9a4e-2b7d-4c55-9a0e-3d8b1f2e7c61")
LOCK_CLASS = 20588  # advisory locks of the lane (the audit chain's are 20587)


def pushed_ingest_id(tenant_id: int, call_id: str, sha256: str) -> uuid.UUID:
    """The ingest id of a push: the same tenant, call and audio give the same id."""
    return uuid.uuid5(_NAMESPACE, f"{tenant_id}\x1f{call_id}\x1f{sha256}")


def receive_push(*, tenant, node, metadata: dict, temp_path, sha256: str, size: int,
                 original_name: str = "") -> tuple[Ingest, bool]:
    """Store the push now when the express lane may, else hand it to the pipeline; returns
    ``(ingest, created)`` like :func:`receive.receive_audio`."""
    received = {"tenant": tenant, "source": IngestSource.PUSH, "metadata": metadata,
                "temp_path": temp_path, "sha256": sha256, "size": size,
                "original_name": original_name, "node": node}
    if not eligible(metadata, size) or storage_paused():
        return receive_audio(**received)
    lane = _Lane(tenant=tenant, node=node, metadata=metadata, path=temp_path, sha256=sha256,
                 original_name=original_name)
    with one_at_a_time(lane.ingest_id):
        try:
            result = lane.run()
        except Exception as exc:
            # Storage or database trouble, or a fault of the lane itself: the pipeline, with
            # its retries, takes the push.
            transient = is_transient(exc)
            log.log(logging.WARNING if transient else logging.ERROR,
                    "express lane: push %s goes to the pipeline", lane.ingest_id,
                    exc_info=True)
            if transient and lane.uploading:
                pause_for_storage()
            result = None
        if result is not None:
            return result
        return receive_audio(**received, ingest_id=lane.ingest_id,
                             attempts=1 if lane.may_have_uploaded else 0)


@contextmanager
def one_at_a_time(ingest_id):
    """Identical pushes (a node's retry while the first is still in flight) take the lane one
    after the other: the second finds the first's ingest, stored or handed over, instead of
    uploading to the same key beside it — so no upload of the lane can land under a key whose
    ingest the pipeline ends without keeping it. A PostgreSQL session lock (released with the
    connection if the process dies); on another database (the embedded SQLite of ``make
    run``, whose web processes share one machine) a file lock (:func:`file_lock`)."""
    if connection.vendor != "postgresql":
        with file_lock(ingest_id):
            yield
        return
    key = str(ingest_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [LOCK_CLASS, key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_CLASS, key])


# Lock files for databases without advisory locks: the ingest id picks one of LOCK_STRIPES
# files under VAR_DIR/locks (two different pushes sharing a file only wait for each other).
LOCK_STRIPES = 64


@contextmanager
def file_lock(ingest_id):
    """An exclusive ``flock`` for the ingest id among every thread and process of this
    machine (a lock belongs to its open file, so threads of one process exclude each other
    too; the kernel releases it if the process dies)."""
    directory = Path(settings.VAR_DIR) / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    stripe = uuid.UUID(str(ingest_id)).int % LOCK_STRIPES
    with open(directory / f"express-{stripe:02d}.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# After the store failed an upload, pushes skip the lane for a while: a node should not wait
# through the client's retries and timeouts on every push while the store is unreachable (the
# pipeline accepts them into staging and retries on its own). Per process.
STORAGE_PAUSE_SECONDS = 30.0
_storage_paused_until = 0.0


def pause_for_storage() -> None:
    global _storage_paused_until
    _storage_paused_until = time.monotonic() + STORAGE_PAUSE_SECONDS


def storage_paused() -> bool:
    return time.monotonic() < _storage_paused_until


def eligible(metadata: dict, size: int) -> bool:
    """May the lane try this push? (on, small enough, no consent outcome to apply)"""
    return (bool(setting("INGEST_EXPRESS")) and size <= setting("INGEST_EXPRESS_MAX_BYTES")
            and metadata.get("consent") in (None, "", Consent.UNKNOWN))


@dataclass
class _Checked:
    pbx_user_id: int | None
    call_pk: int | None
    call_consent: str | None
    received: bool
    stored: bool
    licensed: bool


class _Lane:
    def __init__(self, *, tenant, node, metadata, path, sha256, original_name):
        self.tenant, self.node, self.metadata = tenant, node, metadata
        self.path, self.sha256, self.original_name = path, sha256, original_name
        self.call_id = metadata["call_id"]
        self.started_at = started_at_of(metadata)
        self.ingest_id = pushed_ingest_id(tenant.pk, self.call_id, sha256)
        self.key = ""
        self.may_have_uploaded = False
        self.uploading = False

    def run(self) -> tuple[Ingest, bool] | None:
        checked = self.check()
        if checked.received:
            existing = find_received(tenant=self.tenant, call_id=self.call_id,
                                     sha256=self.sha256)
            return (existing, False) if existing is not None else None
        if (checked.pbx_user_id is None or checked.stored
                or checked.call_consent == Consent.OBJECTED):
            return None  # quarantine, duplicate, tombstone: the pipeline's endings
        store = get_store()
        try:
            analysis = audio.analyse(
                self.path, sha256=self.sha256 if store.verifies_checksums else "")
        except audio.AudioRejected:
            return None
        if analysis.sha256 != self.sha256:
            return None
        info = analysis.info
        self.key = recording_key(tenant_id=self.tenant.pk, started_at=self.started_at,
                                 ingest_id=self.ingest_id, extension=dotted(info.extension))
        if not self.upload(store, analysis):
            return None
        return self.commit(checked, analysis)

    def check(self) -> _Checked:
        """The one read before the upload."""
        tenant_id, extension = self.tenant.pk, self.metadata["extension"]
        at = _db(LicenseAssignment, "assigned_at", self.started_at)
        with connection.cursor() as cursor:
            cursor.execute(_check_sql(), [
                tenant_id, extension, tenant_id, self.call_id, tenant_id, self.call_id,
                tenant_id, self.call_id, self.sha256, IngestSource.PUSH, IngestSource.UPLOAD,
                tenant_id, self.call_id, self.sha256,
                tenant_id, tenant_id, extension, REQUIRED_LICENSE[self.metadata["kind"]],
                at, at])
            row = cursor.fetchone()
        return _Checked(row[0], row[1], row[2], bool(row[3]), bool(row[4]), bool(row[5]))

    def upload(self, store, analysis) -> bool:
        """The bytes to final storage; False when the caller objected meanwhile or the store
        refused the checksum (the pipeline ends it)."""
        guard = ObjectionGuard(partial(_objected, self.tenant.pk, self.call_id))
        guard.checked_at = time.monotonic()  # the check read it a moment ago
        self.may_have_uploaded = self.uploading = True
        try:
            store.put_file(self.key, self.path, content_type=analysis.info.mime_type,
                           metadata={"sha256": analysis.sha256,
                                     "ingest-id": str(self.ingest_id),
                                     "tenant-id": str(self.tenant.pk)},
                           progress=guard, confirm_last=guard.confirm_last,
                           sha256=analysis.sha256)
        except ChecksumMismatch:
            self.may_have_uploaded = False  # the store refused it: nothing there
            return False
        except Exception as exc:
            if caused_by_abort(exc):  # the client may wrap it (a single PUT's body)
                self.may_have_uploaded = False  # stopped before the object existed
                return False
            raise
        self.uploading = False
        return True

    def commit(self, checked: _Checked, analysis) -> tuple[Ingest, bool] | None:
        """The final transaction: the call (locked, or new), the ingest, the recording and the
        audit event. None when the caller objected under the lock or another row won."""
        metadata, now = self.metadata, timezone.now()
        kind = metadata["kind"]
        policy = violation(kind, checked.licensed)
        try:
            with transaction.atomic():
                call, new_call = self.locked_call(checked)
                if call is None:
                    return None
                ingest = Ingest(
                    ingest_id=self.ingest_id, tenant_id=self.tenant.pk, node=self.node,
                    source=IngestSource.PUSH, original_name=(self.original_name or "")[:255],
                    staged_in=StagedIn.NONE, call_id=self.call_id,
                    extension=metadata.get("extension", ""), metadata=metadata,
                    sha256=analysis.sha256, size=analysis.size, status=IngestStatus.STORED,
                    attempts=1, finished_at=now)
                recording = Recording(
                    **recording_fields(ingest=ingest, call=call, metadata=metadata,
                                       analysis=analysis, started_at=self.started_at,
                                       pbx_user=PbxUser(pk=checked.pbx_user_id,
                                                        tenant_id=self.tenant.pk),
                                       file_extension=dotted(analysis.info.extension)),
                    storage_key=self.key, peaks=plain(analysis.peaks),
                    policy_violation=bool(policy), policy_violation_reason=policy)
                write_rows(call if new_call else None, ingest, recording)
                audit.record(actor=self.node, tenant=self.tenant.pk,
                             action="recording.ingested", obj=recording,
                             data=ingested_event(recording, ingest, self.key, policy))
        except IntegrityError:
            return self.lost_race()
        return ingest, True

    def locked_call(self, checked: _Checked) -> tuple[Call | None, bool]:
        """``(call, new)``: the known call, locked (serialising the caller's objection against
        this commit; None when the caller objected meanwhile), or a new one to insert with
        the rows (a concurrent creation then fails on the unique call id: the pipeline)."""
        details = consent.call_details(self.metadata)
        if checked.call_pk is None:
            return Call(tenant_id=self.tenant.pk, call_id=self.call_id,
                        pbx_user_id=checked.pbx_user_id, **details), True
        call = consent.ensure_call(tenant=self.tenant.pk, call_id=self.call_id,
                                   details=details, lock=True)
        return (None if call.consent == Consent.OBJECTED else call), False

    def lost_race(self) -> tuple[Ingest, bool] | None:
        """Another row won (the same push concurrently, a recording of the same audio, the
        call created meanwhile): answer the same push's ingest, or hand it over."""
        winner = find_received(tenant=self.tenant, call_id=self.call_id, sha256=self.sha256)
        if winner is None:
            return None
        if winner.ingest_id != self.ingest_id and self.may_have_uploaded:
            with transaction.atomic():  # the winner's key is another: ours keeps nothing
                schedule_object_deletion(tenant_id=self.tenant.pk, key=self.key,
                                         reason="duplicate", ingest=winner.pk)
        return winner, False


def write_rows(new_call: Call | None, ingest: Ingest, recording: Recording) -> None:
    """INSERT the call (when new), the ingest and the recording, linked both ways, and set
    their primary keys. On PostgreSQL one statement (the recording's id drawn first; the
    foreign keys are checked at the commit), elsewhere one per row and the link."""
    if connection.vendor != "postgresql":
        if new_call is not None:
            new_call.pk = insert_row(new_call)
            recording.call_id = new_call.pk
        ingest.pk = insert_row(ingest)
        recording.ingest_id = ingest.pk
        recording.pk = insert_row(recording)
        with connection.cursor() as cursor:
            cursor.execute(_link_sql(), [recording.pk, ingest.pk])
    else:
        params = []
        if new_call is not None:
            params += _prepared(new_call, skip=())
        params += _prepared(ingest, skip=("recording",))
        params += _prepared(recording, skip=("call", "ingest") if new_call else ("ingest",))
        with connection.cursor() as cursor:
            cursor.execute(_rows_sql(new_call is not None), params)
            recording.pk, ingest.pk, call_pk = cursor.fetchone()
        if new_call is not None:
            new_call.pk = recording.call_id = call_pk
        recording.ingest_id = ingest.pk
    ingest.recording_id = recording.pk
    recording._state.adding = ingest._state.adding = False
    if new_call is not None:
        new_call._state.adding = False


def _prepared(obj, *, skip) -> list:
    return [field.get_db_prep_save(field.pre_save(obj, True), connection)
            for field in _insert_fields(type(obj)) if field.name not in skip]


@cache
def _rows_sql(new_call: bool) -> str:
    """The statement of :func:`write_rows` on PostgreSQL (only the models' table and column
    names are formatted in; every value is a parameter)."""
    qn = connection.ops.quote_name

    def columns(model, skip=(), extra=()):
        names = [qn(f.column) for f in _insert_fields(model) if f.name not in skip]
        return ", ".join([*extra, *names]), ", ".join(["%s"] * len(names))

    rec, ing = Recording._meta, Ingest._meta
    parts = [f"rid AS (SELECT nextval(pg_get_serial_sequence('{rec.db_table}', "
             f"'{rec.pk.column}')) AS id)"]
    if new_call:
        call_cols, call_marks = columns(Call)
        parts.append(f"k AS (INSERT INTO {qn(Call._meta.db_table)} ({call_cols}) "  # noqa: S608
                     f"VALUES ({call_marks}) RETURNING {qn(Call._meta.pk.column)} AS id)")
    ing_cols, ing_marks = columns(Ingest, skip=("recording",),
                                  extra=(qn(ing.get_field("recording").column),))
    parts.append(f"i AS (INSERT INTO {qn(ing.db_table)} ({ing_cols}) SELECT rid.id, "  # noqa: S608
                 f"{ing_marks} FROM rid RETURNING {qn(ing.pk.column)} AS id)")
    fk = [qn(rec.pk.column), qn(rec.get_field("ingest").column)]
    if new_call:
        fk.append(qn(rec.get_field("call").column))
    rec_cols, rec_marks = columns(Recording, skip=("call", "ingest") if new_call else
                                  ("ingest",), extra=fk)
    sources = "rid, i, k" if new_call else "rid, i"
    values = "rid.id, i.id, k.id" if new_call else "rid.id, i.id"
    call_id = "(SELECT id FROM k)" if new_call else "NULL"
    return (f"WITH {', '.join(parts)} INSERT INTO {qn(rec.db_table)} ({rec_cols}) "  # noqa: S608
            f"SELECT {values}, {rec_marks} FROM {sources} "
            f"RETURNING {qn(rec.pk.column)}, (SELECT id FROM i), {call_id}")


def insert_row(obj) -> int:
    """INSERT one model instance (its fields as the ORM would save them, defaults and
    ``auto_now`` included) and return its new primary key."""
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(type(obj)), _prepared(obj, skip=()))
        return cursor.fetchone()[0]


@cache
def _insert_fields(model):
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


@cache
def _insert_sql(model) -> str:
    qn = connection.ops.quote_name
    meta = model._meta
    columns = ", ".join(qn(f.column) for f in _insert_fields(model))
    marks = ", ".join(["%s"] * len(_insert_fields(model)))
    return (f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks}) "  # noqa: S608
            f"RETURNING {qn(meta.pk.column)}")


def _table(model, field=None) -> str:
    qn = connection.ops.quote_name
    if field is None:
        return qn(model._meta.db_table)
    return qn(model._meta.get_field(field).column)


@cache
def _check_sql() -> str:
    """PBX user; the call and its consent; the same push received; the same audio of the
    call stored; the licence held at the call's start."""
    c = _table  # c(model) is its table, c(model, field) a column
    user, call, ingest = c(PbxUser), c(Call), c(Ingest)
    rec, lic = c(Recording), c(LicenseAssignment)
    return (
        f"SELECT (SELECT u.{c(PbxUser, 'id')} FROM {user} u WHERE u.{c(PbxUser, 'tenant')} = %s "  # noqa: S608
        f"AND u.{c(PbxUser, 'extension')} = %s), "
        f"(SELECT k.{c(Call, 'id')} FROM {call} k WHERE k.{c(Call, 'tenant')} = %s "
        f"AND k.{c(Call, 'call_id')} = %s), "
        f"(SELECT k.{c(Call, 'consent')} FROM {call} k WHERE k.{c(Call, 'tenant')} = %s "
        f"AND k.{c(Call, 'call_id')} = %s), "
        f"EXISTS (SELECT 1 FROM {ingest} i WHERE i.{c(Ingest, 'tenant')} = %s "
        f"AND i.{c(Ingest, 'call_id')} = %s AND i.{c(Ingest, 'sha256')} = %s "
        f"AND i.{c(Ingest, 'source')} IN (%s, %s)), "
        f"EXISTS (SELECT 1 FROM {rec} r WHERE r.{c(Recording, 'tenant')} = %s "
        f"AND r.{c(Recording, 'pbx_call_id')} = %s AND r.{c(Recording, 'sha256')} = %s), "
        f"EXISTS (SELECT 1 FROM {lic} a JOIN {user} u ON a.{c(LicenseAssignment, 'pbx_user')} "
        f"= u.{c(PbxUser, 'id')} WHERE a.{c(LicenseAssignment, 'tenant')} = %s "
        f"AND u.{c(PbxUser, 'tenant')} = %s AND u.{c(PbxUser, 'extension')} = %s "
        f"AND a.{c(LicenseAssignment, 'license')} = %s "
        f"AND a.{c(LicenseAssignment, 'assigned_at')} <= %s "
        f"AND (a.{c(LicenseAssignment, 'revoked_at')} IS NULL "
        f"OR a.{c(LicenseAssignment, 'revoked_at')} > %s))")


def _objected(tenant_id, call_id: str) -> bool:
    """``consent.objected_by_call_id`` as one prepared statement (read before the last bytes
    of every upload: through the ORM it cost four times as much)."""
    with connection.cursor() as cursor:
        cursor.execute(_objected_sql(), [tenant_id, call_id, Consent.OBJECTED])
        return cursor.fetchone() is not None


@cache
def _objected_sql() -> str:
    c = _table
    return (f"SELECT 1 FROM {c(Call)} WHERE {c(Call, 'tenant')} = %s "  # noqa: S608
            f"AND {c(Call, 'call_id')} = %s AND {c(Call, 'consent')} = %s")


@cache
def _link_sql() -> str:
    return (f"UPDATE {_table(Ingest)} SET {_table(Ingest, 'recording')} = %s "  # noqa: S608
            f"WHERE {_table(Ingest, 'id')} = %s")


def _db(model, field: str, value):
    return model._meta.get_field(field).get_db_prep_value(value, connection)

