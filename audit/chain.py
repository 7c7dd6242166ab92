"""Writing to and verifying the hash chain.

Canonical encoding: the event's fields (including ``prev_hash``) as JSON with sorted keys, no
whitespace, UTF-8, the timestamp in UTC with microseconds. ``hash = sha256(canonical)``. The same
function is used by the writer, the verifier and the offline verifier (``docs/audit.md``), so an
exported trail can be checked without this code base.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC

import psycopg
from django.db import connection, transaction
from django.utils import timezone

from .models import GENESIS_HASH, ActorType, AuditChainHead, AuditEvent, chain_key

# Set per request by hostedpbx.middleware.AuditContextMiddleware.
request_ip: contextvars.ContextVar[str] = contextvars.ContextVar("audit_request_ip", default="")

CANONICAL_FIELDS = (
    "chain", "seq", "tenant", "occurred_at", "actor_type", "actor_id", "actor_label",
    "action", "object_type", "object_id", "data", "ip", "prev_hash",
)


def format_time(value) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(fields: dict) -> bytes:
    body = {name: fields[name] for name in CANONICAL_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


_encode_str = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses
_encode_data = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_head(*, action, actor_id, actor_label, actor_type, chain, data_json, ip,
                   object_id, object_type, occurred_at) -> str:
    """``canonical_bytes`` up to ``"prev_hash"`` (the keys sorting before it), built as text.

    ``data_json`` is ``data`` as canonical JSON and ``occurred_at`` the ``format_time`` string.
    With ``canonical_tail`` it gives the same bytes as ``canonical_bytes``; the writer on
    PostgreSQL and the fast verifier use it, and a test holds the two encodings together.
    """
    enc = _encode_str
    return (
        f'{{"action":{enc(action)},"actor_id":{enc(actor_id)},"actor_label":{enc(actor_label)},'
        f'"actor_type":{enc(actor_type)},"chain":{enc(chain)},"data":{data_json},'
        f'"ip":{enc(ip)},"object_id":{enc(object_id)},"object_type":{enc(object_type)},'
        f'"occurred_at":"{occurred_at}",'
    )


def canonical_tail(prev_hash: str, seq: int, tenant_id) -> str:
    """The rest of the canonical encoding after ``canonical_head``. The chaining trigger of
    migration 0005 builds the same text in SQL."""
    return f'"prev_hash":{_encode_str(prev_hash)},"seq":{seq},"tenant":' + (
        "null" if tenant_id is None else str(tenant_id)) + "}"


def compute_hash(fields: dict) -> str:
    return hashlib.sha256(canonical_bytes(fields)).hexdigest()


def event_fields(event: AuditEvent) -> dict:
    return {
        "chain": event.chain,
        "seq": event.seq,
        "tenant": event.tenant_id,
        "occurred_at": format_time(event.occurred_at),
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
        "ip": event.ip,
        "prev_hash": event.prev_hash,
    }


def describe_actor(actor):
    """``(actor_type, actor_id, actor_label)`` for a portal account, PBX node or ``None``."""
    if actor is None:
        return ActorType.SYSTEM, "", "system"
    if getattr(actor, "is_pbx_node", False):
        return ActorType.PBX_NODE, str(actor.pk), f"node:{actor.name}"
    if not getattr(actor, "is_authenticated", False):
        return ActorType.ANONYMOUS, "", "anonymous"
    return ActorType.USER, str(actor.pk), actor.get_username()


def _json_safe(data):
    # Stored exactly as hashed: round-trip through JSON so the database gives back the same value.
    if not data:
        return {}
    return json.loads(json.dumps(data, default=str))


def _ensure_head(chain, tenant_id):
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(chain=chain, tenant_id=tenant_id)], ignore_conflicts=True
    )


def record(
    *,
    actor,
    tenant,
    action: str,
    obj=None,
    object_type: str = "",
    object_id="",
    data: dict | None = None,
    actor_label: str | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event to the tenant's chain (the provider chain when ``tenant`` is None).

    Must run inside the transaction of the change it records, so that the change and its event
    commit or roll back together; raises ``RuntimeError`` otherwise. Concurrent writers of one
    chain are serialised by a row lock on the chain head, so the sequence stays gapless: on
    PostgreSQL only at their commit (the event is staged and a deferred trigger chains it, see
    ``_stage``), elsewhere from the first event to the commit. The returned event has its final
    ``id``; on PostgreSQL its ``seq`` and ``hash`` are set in the database at the commit.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside the transaction of the change")
    tenant_id = getattr(tenant, "pk", tenant)
    chain = chain_key(tenant_id)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    actor_type, actor_id, label = describe_actor(actor)
    if actor_label:
        label = actor_label
    event = AuditEvent(
        chain=chain,
        tenant_id=tenant_id,
        occurred_at=timezone.now(),
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=label[:200],
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:128],
        data=_json_safe(data),
        ip=(ip if ip is not None else request_ip.get())[:64],
    )
    if connection.vendor == "postgresql":
        _stage(event)
    else:
        _append(event)
    return event


def _append(event: AuditEvent) -> None:
    """Chain the event now, under the head's row lock (held until the commit)."""
    head = AuditChainHead.objects.select_for_update().filter(chain=event.chain).first()
    if head is None:  # the chain's first event: one round trip less on every later one
        _ensure_head(event.chain, event.tenant_id)
        head = AuditChainHead.objects.select_for_update().get(chain=event.chain)
    event.seq = head.last_seq + 1
    event.prev_hash = head.last_hash
    event.hash = compute_hash(event_fields(event))
    event.save(force_insert=True)
    AuditChainHead.objects.filter(chain=event.chain).update(
        last_seq=event.seq, last_hash=event.hash, updated_at=event.occurred_at
    )


# The insert also notes, in a transaction-local setting, whether this transaction has staged
# events for more than one chain ('many'): the trigger then takes all their locks at once, in
# one order (migration 0007); a transaction of one chain costs the trigger no look at the
# staged rows. The trigger of migration 0007 reads the setting under this name.
CHAINS_SETTING = "hostedpbx.audit_chains"
_STAGE_SQL = (
    "INSERT INTO audit_stagedauditevent (chain, tenant_id, occurred_at, actor_type, actor_id, "
    "actor_label, action, object_type, object_id, data, ip, canonical_head) "
    "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s "
    "FROM (SELECT set_config(%s, CASE WHEN coalesce(current_setting(%s, true), '') "
    "IN ('', %s) THEN %s ELSE 'many' END, true)) AS noted RETURNING id"
)


@contextlib.contextmanager
def _logged(sql, params):
    """Log the statement as Django's debug cursor would (tests count queries through it)."""
    if not connection.queries_logged:
        yield
        return
    start = time.monotonic()
    try:
        yield
    finally:
        connection.queries_log.append(
            {"sql": f"{sql} {params!r}", "time": f"{time.monotonic() - start:.3f}"})


def _stage(event: AuditEvent) -> None:
    """Stage the event; the deferred trigger chains it when the transaction commits.

    No lock is taken here: concurrent transactions run side by side and queue on the chain
    only for the moment of their commit (the trigger and the WAL flush). ``seq``,
    ``prev_hash`` and ``hash`` are known after the commit (or after ``chain_staged_events``);
    ``id`` is final now.
    """
    data_json = _encode_data(event.data)
    head = canonical_head(
        action=event.action, actor_id=event.actor_id, actor_label=event.actor_label,
        actor_type=event.actor_type, chain=event.chain, data_json=data_json, ip=event.ip,
        object_id=event.object_id, object_type=event.object_type,
        occurred_at=format_time(event.occurred_at))
    params = [event.chain, event.tenant_id, event.occurred_at, event.actor_type, event.actor_id,
              event.actor_label, event.action, event.object_type, event.object_id, data_json,
              event.ip, head, CHAINS_SETTING, CHAINS_SETTING, event.chain, event.chain]
    # A prepared statement with server-side parameters: Django's cursors quote every parameter
    # into the SQL text, which costs more than the rest of the append. Errors still come out as
    # Django's, and the statement is logged where Django logs queries.
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        with _logged(_STAGE_SQL, params):
            cursor.execute(_STAGE_SQL, params, prepare=True)
        event.id = cursor.fetchone()[0]
    event._state.adding = False
    connection.audit_staged = True


def record_now(**kwargs) -> AuditEvent:
    """``record`` in a transaction of its own, for events that change nothing else (logins)."""
    with transaction.atomic():
        return record(**kwargs)


@dataclass
class VerifyResult:
    ok: bool
    count: int
    chains: int
    bad_event_id: int | None = None
    bad_chain: str = ""
    bad_seq: int | None = None
    reason: str = ""
    last_seq: int = 0
    last_time: str = ""
    checkpoint_seq: int = 0

    def message(self) -> str:
        if self.ok:
            return f"OK {self.count} events"
        where = f"event {self.bad_event_id}" if self.bad_event_id else "chain head"
        return f"BROKEN {where} (chain {self.bad_chain}, seq {self.bad_seq}): {self.reason}"


VERIFY_COLUMNS = ("id",) + tuple(
    "tenant_id" if name == "tenant" else name for name in CANONICAL_FIELDS
) + ("hash",)


@dataclass
class ChainCheck:
    """What one chain's verification found: ``failure`` is ``(event_id, seq, reason)``."""

    count: int = 0
    last_hash: str = GENESIS_HASH
    last_seq: int = 0
    last_time: str = ""
    failure: tuple | None = None


def check_rows(chain: str, rows, *, first_seq: int = 1, start_hash: str = GENESIS_HASH,
               checkpoints: dict | None = None) -> ChainCheck:
    """Check consecutive rows of one chain (ordered by seq), starting at ``first_seq`` whose
    ``prev_hash`` must be ``start_hash``; each event's hash is compared with ``checkpoints``
    (``{seq: hash}``) where one exists."""
    checkpoints = checkpoints or {}
    result = ChainCheck(last_hash=start_hash, last_seq=first_seq - 1)
    expected_seq = first_seq
    prev = start_hash
    for row in rows:
        values = dict(zip(VERIFY_COLUMNS, row, strict=True))
        event_id = values.pop("id")
        stored_hash = values.pop("hash")
        values["tenant"] = values.pop("tenant_id")
        if not isinstance(values["occurred_at"], str):
            values["occurred_at"] = format_time(values["occurred_at"])
        if isinstance(values["data"], str):
            values["data"] = json.loads(values["data"])
        seq = values["seq"]
        if values["chain"] != chain:
            result.failure = (event_id, seq, f"event belongs to chain {values['chain']}")
            return result
        if seq != expected_seq:
            result.failure = (event_id, seq,
                              f"sequence gap or reorder: expected {expected_seq}, found {seq}")
            return result
        if values["prev_hash"] != prev:
            result.failure = (event_id, seq, "prev_hash does not match the event before")
            return result
        if compute_hash(values) != stored_hash:
            result.failure = (event_id, seq, "hash does not match the event's content")
            return result
        if seq in checkpoints and checkpoints[seq] != stored_hash:
            result.failure = (event_id, seq,
                              "hash differs from the signed checkpoint of this event: "
                              "the chain was rewritten")
            return result
        prev = stored_hash
        expected_seq += 1
        result.count += 1
        result.last_time = values["occurred_at"]
    result.last_hash, result.last_seq = prev, expected_seq - 1
    return result


def check_chain(chain: str, rows, *, head: tuple[int, str] | None, first_seq: int = 1,
                checkpoints: dict | None = None) -> ChainCheck:
    """Check one whole chain: its rows, its head, and every signed checkpoint.

    ``head`` is ``(last_seq, last_hash)`` as the database records it (None for an export
    without one). Events before ``first_seq`` were purged: the checkpoint of ``first_seq - 1``
    must exist and give the first kept event's ``prev_hash``.
    """
    checkpoints = checkpoints or {}
    start_hash = GENESIS_HASH
    if first_seq > 1:
        if first_seq - 1 not in checkpoints:
            return ChainCheck(failure=(None, first_seq, (
                f"events before seq {first_seq} are gone and no signed checkpoint covers "
                f"seq {first_seq - 1}")))
        start_hash = checkpoints[first_seq - 1]
    result = check_rows(chain, rows, first_seq=first_seq, start_hash=start_hash,
                        checkpoints=checkpoints)
    if result.failure:
        return result
    if head is not None and (head[0] != result.last_seq or head[1] != result.last_hash):
        result.failure = (None, result.last_seq,
                          f"chain head says seq {head[0]}, the events end at {result.last_seq}")
    elif checkpoints and max(checkpoints) > result.last_seq:
        result.failure = (None, result.last_seq, (
            f"the chain ends at seq {result.last_seq}, but a signed checkpoint covers seq "
            f"{max(checkpoints)}: events were cut off"))
    return result


def verify_chain_rows(chain: str, rows, head: tuple[int, str] | None):
    """Check one chain from genesis: ``(count, failure or None)`` (kept for callers)."""
    result = check_chain(chain, rows, head=head)
    return result.count, result.failure


def chain_rows(chain: str, first_seq: int = 1, last_seq: int | None = None):
    events = AuditEvent.unscoped.filter(chain=chain, seq__gte=first_seq)
    if last_seq is not None:
        events = events.filter(seq__lte=last_seq)
    return events.order_by("seq").values_list(*VERIFY_COLUMNS).iterator(chunk_size=5000)


# --- the fast path: PostgreSQL, canonical text built directly, ranges in parallel ------------
_FAST_SQL = """
    SELECT id, seq, tenant_id,
           to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           actor_type, actor_id, actor_label, action, object_type, object_id, data::text, ip,
           prev_hash, hash, chain
    FROM audit_auditevent WHERE chain = %s AND seq BETWEEN %s AND %s ORDER BY seq
"""


def fast_canonical(row) -> bytes:
    """``canonical_bytes`` of a ``_FAST_SQL`` row, without building the dict (same bytes)."""
    (_id, seq, tenant, occurred, actor_type, actor_id, actor_label, action, object_type,
     object_id, data, ip, prev_hash, _hash, chain) = row
    head = canonical_head(
        action=action, actor_id=actor_id, actor_label=actor_label, actor_type=actor_type,
        chain=chain, data_json=_encode_data(json.loads(data)), ip=ip, object_id=object_id,
        object_type=object_type, occurred_at=occurred)
    return (head + canonical_tail(prev_hash, seq, tenant)).encode()


@dataclass
class RangeCheck:
    first_prev: str = ""
    last_hash: str = ""
    last_time: str = ""
    count: int = 0
    failure: tuple | None = None


def check_range(chain: str, first: int, last: int, checkpoints: dict,
                final: bool = True) -> RangeCheck:
    """Verify events ``first..last`` of ``chain`` (PostgreSQL), taking the first event's
    ``prev_hash`` as given (the caller links ranges). Runs in a worker process too."""
    from django.db import connection as conn

    sha256 = hashlib.sha256
    result = RangeCheck()
    expected = first
    prev = None
    conn.ensure_connection()
    # A named (server-side) cursor streams the range without holding it all in memory.
    with transaction.atomic(), conn.connection.cursor(name=f"audit_verify_{first}") as stream:
        stream.itersize = 20000
        stream.execute(_FAST_SQL, [chain, first, last])
        for row in stream:
            seq = row[1]
            if seq != expected:
                result.failure = (row[0], seq, (
                    f"sequence gap or reorder: expected {expected}, found {seq}"))
                return result
            if prev is None:
                result.first_prev = row[12]
            elif row[12] != prev:
                result.failure = (row[0], seq, "prev_hash does not match the event before")
                return result
            stored = row[13]
            if sha256(fast_canonical(row)).hexdigest() != stored:
                result.failure = (row[0], seq, "hash does not match the event's content")
                return result
            if seq in checkpoints and checkpoints[seq] != stored:
                result.failure = (row[0], seq, (
                    "hash differs from the signed checkpoint of this event: the chain was "
                    "rewritten"))
                return result
            prev = stored
            expected += 1
            result.count += 1
            result.last_time = row[3]
    result.last_hash = prev or ""
    if expected != last + 1:
        result.failure = (None, expected - 1, (
            f"chain head says seq {last}, the events end at {expected - 1}" if final else
            f"sequence gap: expected {expected}, found none"))
    return result


def _check_range_in_worker(args):
    from django.db import connections

    connections.close_all()
    try:
        return check_range(*args)
    finally:
        connections.close_all()


def check_chain_parallel(head, checkpoints: dict, workers: int) -> ChainCheck:
    """``check_chain`` for a long chain on PostgreSQL: ``workers`` processes each verify a range
    of sequence numbers; the ranges are then linked (each range's first ``prev_hash`` must be
    the previous range's last hash) and the result is the same as a sequential check."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connections

    first, last = head.first_seq, head.last_seq
    start_hash = GENESIS_HASH
    if first > 1:
        if first - 1 not in checkpoints:
            return ChainCheck(failure=(None, first, (
                f"events before seq {first} are gone and no signed checkpoint covers "
                f"seq {first - 1}")))
        start_hash = checkpoints[first - 1]
    total = last - first + 1
    size = max(1, -(-total // workers))
    ranges = [(head.chain, lo, min(lo + size - 1, last), checkpoints, lo + size > last)
              for lo in range(first, last + 1, size)]
    if len(ranges) <= 1:
        parts = [check_range(*r) for r in ranges]
    else:
        connections.close_all()  # children must not share the parent's connection
        with ProcessPoolExecutor(max_workers=len(ranges),
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_check_range_in_worker, ranges))
    result = ChainCheck(last_hash=start_hash, last_seq=first - 1)
    prev = start_hash
    for (_chain, lo, _hi, _cp, _final), part in zip(ranges, parts, strict=True):
        if part.count and part.first_prev != prev:
            result.failure = (None, lo, "prev_hash does not match the event before")
            return result
        result.count += part.count
        if part.failure:
            result.failure = part.failure
            return result
        prev = part.last_hash
        result.last_time = part.last_time
    result.last_hash, result.last_seq = prev, first - 1 + result.count
    if checkpoints and max(checkpoints) > result.last_seq:
        result.failure = (None, result.last_seq, (
            f"the chain ends at seq {result.last_seq}, but a signed checkpoint covers seq "
            f"{max(checkpoints)}: events were cut off"))
    return result


PARALLEL_FROM = 100_000


def verify(tenant=None, *, checkpoints: bool = True, workers: int = 1) -> VerifyResult:
    """Verify every chain (or one tenant's) from its first kept event to its head, and against
    the signed checkpoints in storage (``checkpoints=False`` skips them: chain links only).

    With ``workers`` > 1 on PostgreSQL, a chain of more than ``PARALLEL_FROM`` events is
    verified in that many processes (``check_chain_parallel``); the answer is the same.
    """
    from . import checkpoints as checkpoint_store

    heads = AuditChainHead.objects.select_related("tenant")
    if tenant is not None:
        heads = heads.filter(chain=chain_key(tenant.pk))
    total = 0
    chains = 0
    stray = AuditEvent.unscoped.exclude(chain__in=AuditChainHead.objects.values("chain"))
    if tenant is not None:
        stray = stray.filter(tenant_id=tenant.pk)
    first_stray = stray.order_by("id").values_list("id", "chain", "seq").first()
    if first_stray:
        return VerifyResult(False, 0, 0, first_stray[0], first_stray[1], first_stray[2],
                            "event in a chain that has no head")
    last = VerifyResult(True, 0, 0)
    for head in heads.order_by("chain"):
        signed = checkpoint_store.Checkpoints()
        if checkpoints:
            signed = checkpoint_store.load(head.tenant)
            if signed.problems:
                return VerifyResult(False, total, chains, None, head.chain, None,
                                    signed.problems[0])
        events = head.last_seq - head.first_seq + 1
        if connection.vendor == "postgresql":
            result = check_chain_parallel(head, signed.by_seq,
                                          workers if events > PARALLEL_FROM else 1)
            if not result.failure and (head.last_seq, head.last_hash) != (
                    result.last_seq, result.last_hash):
                result.failure = (None, result.last_seq, (
                    f"chain head says seq {head.last_seq}, the events end at "
                    f"{result.last_seq}"))
        else:
            result = check_chain(head.chain, chain_rows(head.chain, head.first_seq),
                                 head=(head.last_seq, head.last_hash),
                                 first_seq=head.first_seq, checkpoints=signed.by_seq)
        total += result.count
        chains += 1
        if result.failure:
            event_id, seq, reason = result.failure
            return VerifyResult(False, total, chains, event_id, head.chain, seq, reason)
        last = VerifyResult(True, total, chains, last_seq=result.last_seq,
                            last_time=result.last_time, checkpoint_seq=signed.last_seq)
    last.count, last.chains = total, chains
    return last
