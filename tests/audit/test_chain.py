"""The hash chain: linear under concurrency, verifiable, tamper-evident, append-only."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

import audit
from audit.chain import verify
from audit.models import AuditChainHead, AuditEvent


def _append(tenant, n, action="test.event"):
    for i in range(n):
        with transaction.atomic():
            audit.record(actor=None, tenant=tenant, action=action, data={"i": i, "ü": "ß"})


def _tamper(sql, params=()):
    """Run raw SQL with the append-only trigger out of the way (as an attacker with DDL rights
    could); the chain must still reveal it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
            cursor.execute(sql, params)


def _events(tenant):
    return list(AuditEvent.unscoped.filter(tenant=tenant).order_by("seq"))


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction(tenant_a):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record(actor=None, tenant=tenant_a, action="test.event")


@pytest.mark.django_db
def test_chain_is_linear_and_verifies(tenant_a, tenant_b):
    _append(tenant_a, 5)
    _append(tenant_b, 3)
    events = _events(tenant_a)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "0" * 64
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    head = AuditChainHead.objects.get(chain=f"t{tenant_a.pk}")
    assert (head.last_seq, head.last_hash) == (5, events[-1].hash)
    result = verify()
    assert result.ok and result.count == 8


@pytest.mark.django_db
def test_rolled_back_change_leaves_no_event(tenant_a):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit.record(actor=None, tenant=tenant_a, action="test.event")
        1 / 0  # noqa: B018
    assert not AuditEvent.unscoped.filter(tenant=tenant_a).exists()
    assert verify().ok


@pytest.mark.django_db
def test_verify_detects_a_changed_event(tenant_a):
    _append(tenant_a, 4)
    victim = _events(tenant_a)[1]
    _tamper("UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"i": 99}', victim.pk])
    result = verify()
    assert not result.ok and result.bad_event_id == victim.pk and "hash" in result.reason


@pytest.mark.django_db
def test_verify_detects_a_deleted_event(tenant_a):
    _append(tenant_a, 4)
    victim = _events(tenant_a)[1]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    result = verify()
    assert not result.ok and result.bad_seq == 3


@pytest.mark.django_db
def test_verify_detects_a_deleted_last_event(tenant_a):
    _append(tenant_a, 3)
    victim = _events(tenant_a)[-1]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    result = verify()
    assert not result.ok and "head" in result.reason


@pytest.mark.django_db
def test_verify_detects_an_inserted_event(tenant_a):
    _append(tenant_a, 3)
    events = _events(tenant_a)
    # Make room after seq 1 and insert a forged event that even links to its predecessor.
    _tamper("UPDATE audit_auditevent SET seq = seq + 100 WHERE chain = %s AND seq > 1",
            [events[0].chain])
    _tamper(
        "UPDATE audit_auditevent SET seq = seq - 99 WHERE chain = %s AND seq > 100",
        [events[0].chain],
    )
    forged = AuditEvent(
        chain=events[0].chain, seq=2, tenant=tenant_a, occurred_at=events[0].occurred_at,
        actor_type="system", action="forged", data={}, prev_hash=events[0].hash, hash="f" * 64,
    )
    forged.save(force_insert=True)
    result = verify()
    assert not result.ok and result.bad_seq in (2, 3)


@pytest.mark.django_db
def test_verify_detects_reordered_events(tenant_a):
    _append(tenant_a, 4)
    first, second = _events(tenant_a)[1:3]
    _tamper("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [first.pk])
    _tamper("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [first.seq, second.pk])
    _tamper("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [second.seq, first.pk])
    result = verify()
    assert not result.ok and result.bad_seq == 2


@pytest.mark.django_db
def test_verify_audit_command(tenant_a, capsys):
    _append(tenant_a, 2)
    call_command("verify_audit")
    assert capsys.readouterr().out.strip() == "OK 2 events"
    call_command("verify_audit", "--tenant", tenant_a.slug)
    assert "OK 2 events" in capsys.readouterr().out
    victim = _events(tenant_a)[0]
    _tamper("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [victim.pk])
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit")
    assert exit_info.value.code == 1
    assert f"event {victim.pk}" in capsys.readouterr().err


@pytest.mark.django_db
def test_database_refuses_update_of_audit_rows(tenant_a):
    from django.db import DatabaseError

    _append(tenant_a, 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.unscoped.filter(tenant=tenant_a).update(action="changed")


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_refuses_update_and_delete_of_audit_rows(tenant_a):
    from django.db import DatabaseError

    _append(tenant_a, 2)
    event = _events(tenant_a)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET action='x' WHERE id=%s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id=%s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.unscoped.filter(pk=event.pk).delete()
    assert verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_keep_one_linear_chain(tenant_a):
    writers, per_writer = 8, 25
    barrier = threading.Barrier(writers)
    errors = []

    def write():
        try:
            barrier.wait()
            _append(tenant_a, per_writer, action="test.concurrent")
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    events = _events(tenant_a)
    assert [e.seq for e in events] == list(range(1, writers * per_writer + 1))
    result = verify(tenant_a)
    assert result.ok and result.count == writers * per_writer


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("victim", [0, 7, 13, 29])
def test_parallel_verification_agrees_with_sequential(tenant_a, victim):
    from audit.chain import check_chain_parallel

    _append(tenant_a, 30)
    head = AuditChainHead.objects.get(chain=f"t{tenant_a.pk}")
    whole = check_chain_parallel(head, {}, workers=3)
    assert whole.failure is None and (whole.count, whole.last_hash) == (30, head.last_hash)
    event = _events(tenant_a)[victim]
    _tamper("UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"i": -1}', event.pk])
    broken = check_chain_parallel(head, {}, workers=3)
    assert broken.failure is not None and broken.failure[1] == event.seq
    assert verify(tenant_a, workers=3).bad_seq == event.seq
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert not verify(tenant_a, workers=3, checkpoints=False).ok
