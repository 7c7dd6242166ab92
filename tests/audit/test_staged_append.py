"""The append on PostgreSQL: staged in the change's transaction, chained by a trigger at commit.

``audit.record`` takes no lock; the deferred trigger of migration 0005 chains the event when the
transaction commits, with the same canonical encoding as ``audit.chain.canonical_bytes``.
"""

import json
import threading

import pytest
from django.db import connection, connections, transaction

import audit
from audit.chain import (
    _encode_data,
    canonical_bytes,
    canonical_head,
    canonical_tail,
    event_fields,
    format_time,
    verify,
)
from audit.models import AuditChainHead, AuditEvent, StagedAuditEvent

TRICKY_DATA = [
    {},
    {"before": None, "after": {"mode": "listen", "list": [1, 2.5, True, None]}},
    {"name": "Jürgen \"JJ\" Öztürk\\", "emoji": "☎️", "ctl": "a\nb\tc\u0001", "z": "", "a": 1},
    {"nested": {"b": {"y": 1, "x": [{"k": "v"}]}, "a": "€"}, "10": "ten", "2": "two"},
]


@pytest.mark.parametrize("data", TRICKY_DATA)
@pytest.mark.parametrize("tenant_id", [None, 7])
def test_head_and_tail_give_the_canonical_bytes(data, tenant_id):
    from django.utils import timezone

    fields = {
        "chain": f"t{tenant_id}" if tenant_id else "provider", "seq": 12, "tenant": tenant_id,
        "occurred_at": format_time(timezone.now()), "actor_type": "user", "actor_id": "3",
        "actor_label": "anna.müller", "action": "license.assigned",
        "object_type": "licensing.licenseassignment", "object_id": "ü/5", "data": data,
        "ip": "2001:db8::1", "prev_hash": "ab" * 32,
    }
    head = canonical_head(
        action=fields["action"], actor_id=fields["actor_id"],
        actor_label=fields["actor_label"], actor_type=fields["actor_type"],
        chain=fields["chain"], data_json=_encode_data(data), ip=fields["ip"],
        object_id=fields["object_id"], object_type=fields["object_type"],
        occurred_at=fields["occurred_at"])
    text = head + canonical_tail(fields["prev_hash"], fields["seq"], tenant_id)
    assert text.encode() == canonical_bytes(fields)


def _record(tenant, data=None, action="test.staged"):
    return audit.record(actor=None, tenant=tenant, action=action, data=data or {})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_event_is_chained_at_commit_and_leaves_no_staged_row(tenant_a):
    with transaction.atomic():
        event = _record(tenant_a, {"x": "ü"})
        assert event.pk and event.seq is None  # the chain is decided at the commit
        other = connections.create_connection("default")
        try:  # another session sees neither the event nor a moved head before the commit
            with other.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM audit_auditevent WHERE id = %s", [event.pk])
                assert cursor.fetchone()[0] == 0
        finally:
            other.close()
    chained = AuditEvent.unscoped.get(pk=event.pk)
    assert chained.seq == 1 and chained.prev_hash == "0" * 64
    assert chained.hash == audit.chain.compute_hash(event_fields(chained))
    assert not StagedAuditEvent.objects.exists()
    head = AuditChainHead.objects.get(chain=f"t{tenant_a.pk}")
    assert (head.last_seq, head.last_hash) == (1, chained.hash)
    assert verify(tenant_a).ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_leaves_no_gap(tenant_a):
    with transaction.atomic():
        _record(tenant_a)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        _record(tenant_a)
        1 / 0
    with transaction.atomic():
        with pytest.raises(ZeroDivisionError), transaction.atomic():  # a savepoint
            _record(tenant_a)
            1 / 0
        _record(tenant_a, action="test.after")
    events = list(AuditEvent.unscoped.filter(tenant=tenant_a).order_by("seq"))
    assert [(e.seq, e.action) for e in events] == [(1, "test.staged"), (2, "test.after")]
    assert not StagedAuditEvent.objects.exists()
    assert verify(tenant_a).ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transaction_reads_its_own_events_chained(tenant_a):
    with transaction.atomic():
        _record(tenant_a, action="test.one")
        _record(tenant_a, action="test.two")
        seen = list(AuditEvent.unscoped.filter(tenant=tenant_a).values_list("seq", "action"))
        assert sorted(seen) == [(1, "test.one"), (2, "test.two")]
        _record(tenant_a, action="test.three")  # staged again after the read
    events = list(AuditEvent.unscoped.filter(tenant=tenant_a).order_by("seq"))
    assert [e.action for e in events] == ["test.one", "test.two", "test.three"]
    assert verify(tenant_a).ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transactions_chain_in_commit_order(tenant_a):
    """The first to commit gets the lower seq, whichever staged its event first."""
    first_staged = threading.Event()
    late_committed = threading.Event()
    errors = []

    def early():
        try:
            with transaction.atomic():
                _record(tenant_a, action="test.staged_first")
                first_staged.set()
                assert late_committed.wait(10)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=early)
    thread.start()
    assert first_staged.wait(10)
    with transaction.atomic():  # not blocked by the open transaction: no lock before the commit
        _record(tenant_a, action="test.committed_first")
    late_committed.set()
    thread.join()
    assert not errors
    events = list(AuditEvent.unscoped.filter(tenant=tenant_a).order_by("seq"))
    assert [e.action for e in events] == ["test.committed_first", "test.staged_first"]
    assert events[0].occurred_at > events[1].occurred_at  # seq follows the commits
    assert verify(tenant_a).ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_staged_events_are_not_written_to_the_wal(tenant_a):
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s",
                       [StagedAuditEvent._meta.db_table])
        assert cursor.fetchone()[0] == "u"  # unlogged: a staged row never outlives its commit
    with transaction.atomic():
        _record(tenant_a, {"n": json.dumps([1, 2])})
    assert verify(tenant_a).ok


def _poll(condition, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _waiting_for_a_lock(pid) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return bool(row) and row[0] == "Lock"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_transactions_recording_into_two_chains_in_opposite_orders_both_commit(tenant_a,
                                                                                    tenant_b):
    """T1 records into a then b, T2 into b then a. T1's commit is held up (another session
    holds a's chain head row) after it took its chain locks; T2 commits meanwhile; then a's head
    is released. Locking chain by chain, T1 held a and waited for b while T2 held b and waited
    for a: a deadlock, one of them failed. Now T1 took both at once and T2 waits for it."""
    errors, pids = [], {}

    def commit(name, tenants):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    pids[name] = cursor.fetchone()[0]
                for tenant in tenants:
                    _record(tenant, action=f"test.{name}")
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():  # the chains exist and have heads
        _record(tenant_a, action="test.first")
        _record(tenant_b, action="test.first")
    blocker = connections.create_connection("default")
    try:
        blocker.set_autocommit(False)
        with blocker.cursor() as cursor:  # holds a's head row until released
            cursor.execute("SELECT 1 FROM audit_auditchainhead WHERE tenant_id = %s FOR UPDATE",
                           [tenant_a.pk])
        first = threading.Thread(target=commit, args=("one", [tenant_a, tenant_b]))
        first.start()
        _poll(lambda: "one" in pids and _waiting_for_a_lock(pids["one"]))
        second = threading.Thread(target=commit, args=("two", [tenant_b, tenant_a]))
        second.start()
        _poll(lambda: "two" in pids and _waiting_for_a_lock(pids["two"]))
    finally:
        blocker.rollback()
        blocker.close()
    first.join(20)
    second.join(20)
    assert not errors
    for tenant in (tenant_a, tenant_b):
        actions = list(AuditEvent.unscoped.filter(tenant=tenant).order_by("seq")
                       .values_list("action", flat=True))
        assert actions == ["test.first", "test.one", "test.two"]
        assert verify(tenant).ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_staging_insert_notes_a_second_chain_for_this_transaction_only(tenant_a, tenant_b):
    from audit.chain import CHAINS_SETTING

    def noted():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting(%s, true)", [CHAINS_SETTING])
            return cursor.fetchone()[0] or ""

    with transaction.atomic():
        _record(tenant_a)
        _record(tenant_a)
        assert noted() == f"t{tenant_a.pk}"  # one chain: the trigger looks at nothing more
        _record(tenant_b)
        assert noted() == "many"
    assert noted() == ""  # transaction-local
    with transaction.atomic():
        _record(tenant_b)
        assert noted() == f"t{tenant_b.pk}"
    assert verify(tenant_a).ok and verify(tenant_b).ok
